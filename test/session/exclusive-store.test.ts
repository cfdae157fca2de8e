/**
 * The exclusive SQLite store (`pse serve --production`): it holds its file locked and serves
 * sessions from memory, written through. Its answers must be exactly the database's, whatever
 * the cache keeps or forgets; the contract suite runs it too.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SessionCache } from '../../src/engine/session/session-cache.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import { HOUR, createCommit, storeFolder, T0 } from '../helpers/sqlite-stores.js';
import type { SessionCommit, SessionStore, StoredSession } from '../../src/engine/session/store.js';
import type { PreviewValue as Preview } from '../../src/common/types/session.js';

const folder = storeFolder('pse-exclusive-');
const tmp = folder.dir;

function exclusive(cacheBytes?: number, file = folder.file()): SqliteSessionStore {
  return folder.keep(new SqliteSessionStore({ file, exclusive: true, cacheBytes }));
}

function preview(v: number): Preview {
  return { t: 'dict', v: [['v', { t: 'int', v: String(v) }]] };
}

function upsert(entries: Record<string, number>): SessionCommit['upsert'] {
  return new Map(
    Object.entries(entries).map(([name, v]) => [
      name,
      { pickle: Buffer.from(`${name}=${v}`), preview: preview(v) },
    ]),
  );
}

/** What a load says, in a form two stores can be compared by. */
function shape(s: StoredSession | null): unknown {
  if (!s) return null;
  return {
    id: s.id,
    created: s.created,
    accessed: s.accessed,
    expires: s.expires,
    version: s.version,
    ns: [...s.ns]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, x]) => [name, x.pickle.toString(), x.preview, x.version]),
  };
}

/** A deterministic pseudo-random sequence (the test must fail the same way twice). */
function rng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
}

/** One random store operation on `id`, chosen once and applied to every store alike. */
function operation(
  random: () => number,
  pick: <T>(xs: T[]) => T,
  id: string,
  current: StoredSession | null,
  now: number,
  step: number,
  ids: string[],
): (store: SessionStore) => Promise<unknown> {
  const op = random();
  if (op < 0.45) {
    const c: SessionCommit = {
      id,
      now,
      expires: now + pick([1, 2, 4]) * HOUR,
      upsert: upsert(random() < 0.8 ? { [pick(['', 'x', 'y'])]: step } : {}),
      delete: random() < 0.3 ? [pick(['x', 'y'])] : [],
      ...(current ? { expectVersion: current.version } : { create: true }),
    };
    return (store) => store.commit(c);
  }
  if (op < 0.6) return (store) => store.touch(id, now, now + HOUR);
  if (op < 0.7) {
    const to = pick(ids.filter((x) => x !== id));
    return (store) => store.rename(id, to, now, now + HOUR);
  }
  if (op < 0.8) return (store) => store.delete(id);
  if (op < 0.85) return (store) => store.sweep(now);
  return () => Promise.resolve(null);
}

describe('exclusive SQLite session store', () => {
  it('answers as a store without a cache does, through commits, touches, renames, deletes and sweeps', async () => {
    // A cache of ~2 sessions (loads and writes keep meeting sessions it has forgotten) against
    // a store of the same SQL without one.
    const plain = folder.keep(new SqliteSessionStore({ file: path.join(tmp, 'plain.sqlite') }));
    const stores: SessionStore[] = [exclusive(900), plain];
    const ids = ['a', 'b', 'c', 'd'].map((c) => c.repeat(43));
    const random = rng(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
    let now = T0;
    for (let step = 0; step < 600; step++) {
      now += Math.floor(random() * 10 * 60_000);
      const id = pick(ids);
      const current = await stores[1]!.load(id, now);
      const act = operation(random, pick, id, current, now, step, ids);
      const outcomes: unknown[] = [];
      for (const store of stores) {
        try {
          outcomes.push({ ok: (await act(store)) ?? null });
        } catch (err) {
          outcomes.push({ failed: (err as Error).name });
        }
      }
      expect(outcomes[0], `step ${step}`).toEqual(outcomes[1]);
      // the session just used first (a load caches, and may evict it), then one other at random
      for (const other of [id, pick(ids)]) {
        expect(shape(await stores[0]!.load(other, now)), `step ${step}, ${other}`).toEqual(
          shape(await stores[1]!.load(other, now)),
        );
      }
    }
  });

  it('keeps its own copy of the pickles written', async () => {
    const store = exclusive();
    const id = 'e'.repeat(43);
    const pickle = Buffer.from('original');
    await store.commit({
      id,
      now: T0,
      expires: T0 + HOUR,
      create: true,
      upsert: new Map([['', { pickle, preview: preview(1) }]]),
      delete: [],
    });
    pickle.write('CHANGED!'); // a worker's pipe buffer is reused for later frames
    expect((await store.load(id, T0))!.ns.get('')!.pickle.toString()).toBe('original');
  });

  it('forgets from memory exactly the sessions a sweep deleted', async () => {
    const store = exclusive();
    const id = (n: number): string => String(n).padStart(43, 's');
    for (let n = 0; n < 50; n++)
      await store.commit({
        id: id(n),
        now: T0,
        // every tenth one expires within the hour
        expires: T0 + (n % 10 === 0 ? HOUR / 2 : 2 * HOUR),
        create: true,
        upsert: upsert({ v: n }),
        delete: [],
      });
    const forgotten = vi.spyOn(SessionCache.prototype, 'delete');
    try {
      expect(await store.sweep(T0 + HOUR)).toBe(5);
      expect(forgotten.mock.calls.map(([gone]) => gone).sort()).toEqual(
        [0, 10, 20, 30, 40].map(id).sort(),
      );
      expect(await store.load(id(10), T0)).toBeNull();
      expect((await store.load(id(11), T0 + HOUR))?.ns.get('v')?.pickle.toString()).toBe('v=11');
      expect(await store.sweep(T0 + HOUR)).toBe(0);
    } finally {
      forgotten.mockRestore();
    }
  });

  it(
    'refuses a second opener of its file, and opens no file another store holds',
    { timeout: 30_000 },
    async () => {
      const file = path.join(tmp, 'held.sqlite');
      const holder = exclusive(undefined, file);
      expect(() => new SqliteSessionStore({ file })).toThrow(
        /held\.sqlite: cannot open: another process holds it locked/,
      );
      await holder.close();
      folder.keep(new SqliteSessionStore({ file }));
      expect(() => exclusive(undefined, file)).toThrow(
        /held\.sqlite: cannot open: another process/,
      );
    },
  );
});

describe('the check of an exclusive store at its start', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Counts the `quick_check`s run from now on (each reads every page of a file). */
  function countChecks(): () => number {
    const pragma = vi.spyOn(Database.prototype, 'pragma');
    return () => pragma.mock.calls.filter(([sql]) => sql.startsWith('quick_check')).length;
  }

  /** An exclusive store of `file` holding session `id`, closed in order. */
  async function closedStore(file: string, id: string): Promise<void> {
    const store = new SqliteSessionStore({ file, exclusive: true });
    await store.commit(createCommit(id, { '': { pickle: 'kept', preview: preview(1) } }));
    await store.close();
  }

  const id = 'c'.repeat(43);

  it('is left out after an orderly close that no one has touched since', async () => {
    const file = folder.file();
    await closedStore(file, id);
    expect(fs.existsSync(`${file}.closed`)).toBe(true);
    const checks = countChecks();
    const store = exclusive(undefined, file);
    expect(checks()).toBe(0);
    // held by this process now: a crash from here on is checked at the next start
    expect(fs.existsSync(`${file}.closed`)).toBe(false);
    expect((await store.load(id, T0))!.ns.get('')!.pickle.toString()).toBe('kept');
  });

  it('runs after a server that died without closing its store', async () => {
    const file = folder.file();
    await closedStore(file, id);
    const dying = new SqliteSessionStore({ file, exclusive: true });
    await dying.commit(createCommit('d'.repeat(43), { '': { pickle: 'x', preview: preview(2) } }));
    // what the process's end does to the file: the lock goes, no close of the store runs
    (dying as unknown as { db: Database.Database }).db.close();
    const checks = countChecks();
    const store = exclusive(undefined, file);
    expect(checks()).toBe(1);
    expect(await store.load('d'.repeat(43), T0)).not.toBeNull();
  });

  it('runs when the file changed after the close, and finds damage done then', async () => {
    const written = folder.file();
    await closedStore(written, id);
    // another writer (a shared store: `pse run`, say) between the close and the start
    const other = new SqliteSessionStore({ file: written });
    await other.commit(createCommit('o'.repeat(43), { '': { pickle: 'o', preview: preview(3) } }));
    await other.close();
    const checks = countChecks();
    exclusive(undefined, written);
    expect(checks()).toBe(1);

    const damaged = folder.file();
    await closedStore(damaged, id);
    const fd = fs.openSync(damaged, 'r+');
    const pages = fs.fstatSync(fd).size / 4096;
    for (let p = 1; p < pages; p++) fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, p * 4096);
    fs.closeSync(fd);
    expect(() => exclusive(undefined, damaged)).toThrow(/is damaged/);
  });
});
