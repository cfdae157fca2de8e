/**
 * The SQLite session store syncs its WAL on libuv's thread pool while the WAL grows, so that
 * the checkpoint a commit triggers on the event loop finds little left to write (its fsync of
 * the WAL waited ~50 ms under a stream of new sessions). Checked through `fs.fsync`: the
 * descriptor synced is the store's `-wal` file, syncs are spaced, and close leaves no
 * descriptor open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import { WalSync } from '../../src/engine/wal-sync.js';
import type { PreviewValue } from '../../src/common/types/session.js';
import { HOUR, storeFolder, T0 } from '../helpers/sqlite-stores.js';

const folder = storeFolder('pse-wal-sync-');
const PREVIEW: PreviewValue = { t: 'str', v: 'x' };

afterEach(() => {
  vi.restoreAllMocks();
});

/** The path an open descriptor of this process stands for. */
function pathOf(fd: number): string {
  return fs.readlinkSync(`/proc/self/fd/${fd}`);
}

/** Records the files `fs.fsync` is asked to sync, and lets the syncs run. */
function spyFsync(): string[] {
  const synced: string[] = [];
  const real = fs.fsync.bind(fs);
  vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: (err: Error | null) => void) => {
    synced.push(pathOf(fd));
    real(fd, cb);
  }) as typeof fs.fsync);
  return synced;
}

async function newSession(store: SqliteSessionStore, i: number): Promise<void> {
  await store.commit({
    id: `s${String(i).padStart(42, '0')}`,
    now: T0,
    expires: T0 + HOUR,
    create: true,
    upsert: new Map([['', { pickle: Buffer.alloc(200, i), preview: PREVIEW }]]),
    delete: [],
  });
}

const settle = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('the WAL is synced off the event loop', () => {
  it('syncs the store’s -wal file after commits, not on every commit', async () => {
    const file = folder.file();
    const store = folder.keep(new SqliteSessionStore({ file, exclusive: true }));
    const synced = spyFsync();
    for (let i = 0; i < 50; i++) await newSession(store, i);
    await settle(20);
    const wal = fs.realpathSync(`${file}-wal`);
    expect(synced.length).toBeGreaterThan(0);
    expect(new Set(synced)).toEqual(new Set([wal]));
    // 50 commits within far less than 100 ms of each other: one sync, not one per commit
    expect(synced.length).toBeLessThan(5);
    await store.close();
  });

  it('syncs the shared store’s WAL too', async () => {
    const file = folder.file();
    const store = folder.keep(new SqliteSessionStore({ file }));
    const synced = spyFsync();
    await newSession(store, 1);
    await settle(20);
    expect(synced).toEqual([fs.realpathSync(`${file}-wal`)]);
    await store.close();
  });

  it('syncs again once the interval has passed', async () => {
    const file = folder.file();
    const store = folder.keep(new SqliteSessionStore({ file, exclusive: true }));
    const synced = spyFsync();
    await newSession(store, 1);
    await settle(150);
    await newSession(store, 2);
    await settle(20);
    expect(synced.length).toBe(2);
    await store.close();
  });

  it('closes its descriptor when the store closes, after the sync in progress', async () => {
    const file = folder.file();
    const store = folder.keep(new SqliteSessionStore({ file, exclusive: true }));
    const fds: number[] = [];
    let finish: (() => void) | undefined;
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, cb: (err: Error | null) => void) => {
      fds.push(fd);
      finish = () => cb(null);
    }) as typeof fs.fsync);
    await newSession(store, 1);
    await vi.waitFor(() => expect(fds.length).toBe(1));
    const walFd = fds[0]!;
    expect(pathOf(walFd)).toBe(fs.realpathSync(`${file}-wal`));
    let closed = false;
    const closing = store.close().then(() => (closed = true));
    await settle(20);
    expect(closed).toBe(false); // it waits for the sync
    expect(pathOf(walFd)).toBe(fs.realpathSync(`${file}-wal`));
    finish!();
    await closing;
    expect(() => fs.fstatSync(walFd)).toThrow(/EBADF/);
  });

  it('gives up quietly on a database without a WAL file', async () => {
    const sync = new WalSync(path.join(folder.dir, 'no-such.sqlite'));
    const calls = vi.spyOn(fs, 'fsync');
    sync.wrote();
    await settle(20);
    sync.wrote();
    await settle(20);
    expect(calls).not.toHaveBeenCalled();
    await sync.close();
  });
});
