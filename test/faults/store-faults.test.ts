/**
 * The session store under real faults: another process holding its write lock, a full disk (a
 * real tmpfs), a file damaged inside. Waiting for a lock never stops other requests, a write
 * that cannot be made gets 503 with Retry-After naming what is wrong, and a damaged store is
 * found at start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { SessionManager } from '../../src/engine/session/manager.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import { StoreUnavailableError, type SessionCommit } from '../../src/engine/session/store.js';
import { holdWriteLock, killChildren, type LockHolder } from './children.js';
import { mountSmallDisk, type SmallDisk } from './small-disk.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-store-faults-'));
afterAll(() => {
  killChildren();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ID = (c: string): string => c.repeat(43);
const HOUR = 3_600_000;

function commit(id: string, v: string, create = false): SessionCommit {
  const now = Date.now();
  return {
    id,
    now,
    expires: now + HOUR,
    ...(create ? { create: true } : {}),
    upsert: new Map([['', { pickle: Buffer.from(v), preview: { t: 'str', v } }]]),
    delete: [],
  };
}

/** Settles a promise into a flag, so that a test can see whether it is still pending. */
function track<T>(p: Promise<T>): { p: Promise<T>; settled: () => boolean } {
  let done = false;
  const q = p.finally(() => (done = true));
  return { p: q, settled: () => done };
}

describe('the session store, another process holding its write lock', () => {
  let holder: LockHolder | null = null;
  afterEach(async () => {
    await holder?.release().catch(() => undefined);
    holder = null;
  });

  it('a write waits off the event loop: reads and timers go on; it succeeds once the lock is gone', async () => {
    const file = path.join(tmp, 'held', 'sessions.sqlite');
    const store = new SqliteSessionStore({ file, busyWaitMs: 60_000 });
    await store.commit(commit(ID('a'), 'a1', true));
    await store.commit(commit(ID('b'), 'b1', true));
    holder = await holdWriteLock(file);
    const write = track(store.commit(commit(ID('a'), 'a2')));
    // meanwhile: another session's read, and timers, are served
    expect((await store.load(ID('b'), Date.now()))?.ns.get('')?.pickle.toString()).toBe('b1');
    await new Promise((r) => setTimeout(r, 200));
    expect(write.settled()).toBe(false);
    await holder.release();
    holder = null;
    await write.p;
    expect((await store.load(ID('a'), Date.now()))?.ns.get('')?.pickle.toString()).toBe('a2');
    await store.close();
  });

  it('a lock held past the wait: the write fails with an error naming the file', async () => {
    const file = path.join(tmp, 'held-long', 'sessions.sqlite');
    const store = new SqliteSessionStore({ file, busyWaitMs: 300 });
    await store.commit(commit(ID('a'), 'a1', true));
    holder = await holdWriteLock(file);
    const err = await store.commit(commit(ID('a'), 'a2')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).code).toBe('store_busy');
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toMatch(/locked by another process/);
    await holder.release();
    holder = null;
    // nothing half-done: the session is as it was, and the next write goes through
    expect((await store.load(ID('a'), Date.now()))?.ns.get('')?.pickle.toString()).toBe('a1');
    await store.commit(commit(ID('a'), 'a3'));
    await store.close();
  });
});

describe('a read whose expiry is due while the store stays locked', () => {
  it('is answered; the expiry is written by a later read', async () => {
    const file = path.join(tmp, 'touch', 'sessions.sqlite');
    const store = new SqliteSessionStore({ file, busyWaitMs: 300 });
    const clock = { now: Date.now() };
    const m = new SessionManager({
      store,
      options: {
        cookieName: 'sid',
        cookieSecure: false,
        cookieExpires: 0,
        timeout: 1,
        collectionProbability: 0,
        lockTimeout: 1,
      },
      now: () => clock.now,
    });
    await store.commit({ ...commit(ID('t'), 't1', true), now: clock.now });
    const holder = await holdWriteLock(file);
    clock.now += 30_000; // past the touch interval (a tenth of Timeout)
    const t = await m.open({ cookieHeader: `sid=${ID('t')}` });
    expect(t.session).not.toBeNull();
    expect((await t.finish({ ok: true })).trace.outcome).toBe('read_only');
    await holder.release();
    const again = await m.open({ cookieHeader: `sid=${ID('t')}` });
    await again.finish({ ok: true });
    expect((await store.load(ID('t'), clock.now))?.accessed).toBe(clock.now);
    await store.close();
  });
});

// ------------------------------------------------------------------------------ over HTTP

const SET = `from pse.plugins import session
d = session.new()
d['v'] = str(pse.form['v'])
out = d['v']
`;
const GET = `from pse.plugins import session
out = session.new().get('v')
`;

interface App {
  engine: Engine;
  base: string;
  storeFile: string;
  logs: string[];
}

/** An app whose session store is `storeFile`; LockTimeout 2 s. */
async function startApp(storeFile: string, exclusiveSessions = false): Promise<App> {
  const root = fs.mkdtempSync(path.join(tmp, 'app-'));
  fs.writeFileSync(path.join(root, 'set.py'), SET);
  fs.writeFileSync(path.join(root, 'set.pt'), '<?= out ?>');
  fs.writeFileSync(path.join(root, 'get.py'), GET);
  fs.writeFileSync(path.join(root, 'get.pt'), '<?= out ?>');
  fs.writeFileSync(path.join(root, 'hello.pt'), 'hello');
  fs.writeFileSync(
    path.join(root, 'pse.conf'),
    `[plugins.session]\nFile = ${storeFile}\nLockTimeout = 2\nCollectionProbability = 0\n`,
  );
  const logs: string[] = [];
  const engine = await Engine.open(root, {
    workers: 2,
    watch: false,
    logFiles: false,
    exclusiveSessions,
    log: (l) => logs.push(l.text),
  });
  const base = (await engine.listen(0)).url.replace(/\/$/, '');
  return { engine, base, storeFile, logs };
}

interface Got {
  status: number;
  text: string;
  retryAfter: string | null;
  cookie?: string;
}

async function get(app: App, url: string, cookie?: string): Promise<Got> {
  const res = await fetch(app.base + url, { headers: cookie ? { cookie } : {} });
  const set = res.headers.getSetCookie()[0];
  const c = set ? parseSetCookie(set) : undefined;
  return {
    status: res.status,
    text: (await res.text()).trim(),
    retryAfter: res.headers.get('retry-after'),
    ...(c ? { cookie: `${c.name}=${c.value}` } : {}),
  };
}

describe('session requests while the store is locked or the disk is full', () => {
  let app: App | null = null;
  let holder: LockHolder | null = null;
  let disk: SmallDisk | null = null;
  afterEach(async () => {
    await holder?.release().catch(() => undefined);
    holder = null;
    await app?.engine.close();
    app = null;
    disk?.dispose();
    disk = null;
  });

  it('a held lock: other requests are answered meanwhile; the write succeeds after, or gets 503 naming the file', async () => {
    app = await startApp(path.join(tmp, 'http-held', 'sessions.sqlite'));
    const a = (await get(app, '/set.pt?v=a1')).cookie!;
    const b = (await get(app, '/set.pt?v=b1')).cookie!;
    holder = await holdWriteLock(app.storeFile);
    const write = track(get(app, '/set.pt?v=a2', a));
    // the write is waiting for the lock; the server answers everything else
    for (let i = 0; i < 5; i++) {
      expect(await get(app, '/hello.pt')).toMatchObject({ status: 200, text: 'hello' });
      expect(await get(app, '/get.pt', b)).toMatchObject({ status: 200, text: 'b1' });
    }
    expect(write.settled()).toBe(false);
    await holder.release();
    holder = null;
    expect(await write.p).toMatchObject({ status: 200, text: 'a2' });
    expect(await get(app, '/get.pt', a)).toMatchObject({ status: 200, text: 'a2' });
    // held past LockTimeout: 503, Retry-After, and the page says which file is locked
    holder = await holdWriteLock(app.storeFile);
    const late = await get(app, '/set.pt?v=a3', a);
    expect(late.status).toBe(503);
    expect(late.retryAfter).toBe('1');
    expect(late.text).toContain(app.storeFile);
    await holder.release();
    holder = null;
    expect(await get(app, '/get.pt', a)).toMatchObject({ status: 200, text: 'a2' });
  });

  it('a full disk (a real tmpfs): session writes get 503 with Retry-After, the rest is served, writes resume', async () => {
    disk = mountSmallDisk(2 * 1024 * 1024);
    app = await startApp(path.join(disk.dir, 'sessions.sqlite'));
    const a = (await get(app, '/set.pt?v=a1')).cookie!;
    disk.fill();
    const full = await get(app, `/set.pt?v=${'x'.repeat(8000)}`, a);
    expect(full.status).toBe(503);
    expect(Number(full.retryAfter)).toBeGreaterThan(0);
    expect(full.text).toContain(app.storeFile);
    expect(full.text).toMatch(/disk is full/);
    expect(await get(app, '/hello.pt')).toMatchObject({ status: 200, text: 'hello' });
    expect(await get(app, '/get.pt', a)).toMatchObject({ status: 200, text: 'a1' });
    disk.free();
    expect(await get(app, '/set.pt?v=a2', a)).toMatchObject({ status: 200, text: 'a2' });
    expect(await get(app, '/get.pt', a)).toMatchObject({ status: 200, text: 'a2' });
  });
});

describe('a store damaged inside', () => {
  /** A store with some sessions, then a page in its middle overwritten. */
  async function damagedStore(dir: string): Promise<string> {
    const file = path.join(tmp, dir, 'sessions.sqlite');
    const store = new SqliteSessionStore({ file });
    for (let i = 0; i < 300; i++) {
      const id = `${String(i).padStart(3, '0')}${'s'.repeat(40)}`;
      await store.commit(commit(id, 'v'.repeat(500), true));
    }
    await store.close();
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, Math.floor(size / 4096 / 2) * 4096);
    fs.closeSync(fd);
    return file;
  }

  for (const exclusive of [false, true]) {
    it(`is found at start, with the file and what to do${exclusive ? ' (exclusive store)' : ''}`, async () => {
      const file = await damagedStore(exclusive ? 'damaged-x' : 'damaged');
      const err = await startApp(file, exclusive).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      const message = (err as Error).message;
      expect(message).toContain(`session store ${file} is damaged`);
      expect(message).toMatch(/move the file away/);
    });
  }
});
