/**
 * The cross-process session lock of the PostgreSQL store: two stores stand for two processes
 * (each has its own lock connection, as each process has).
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { SessionManager } from '../../src/engine/session/manager.js';
import { LockTimeoutError } from '../../src/engine/session/locks.js';
import { pgTables } from '../../src/engine/session/pg-schema.js';
import { PgSessionStore } from '../../src/engine/session/pg-store.js';
import { sql, TEST_PG, testSchema } from '../helpers/pg.js';

const schema = testSchema();
afterAll(() => schema.drop());
const ID = 'L'.repeat(43);
const OPTIONS = {
  cookieName: 'pse_session',
  cookieSecure: false,
  cookieExpires: 0,
  timeout: 60,
  collectionProbability: 0,
  lockTimeout: 0.3,
};

let stores: PgSessionStore[] = [];
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  stores = [];
});

/** Ends a request that writes `value` as the session's namespace (creating the session if new). */
const write = (t: Awaited<ReturnType<SessionManager['open']>>, value: string) =>
  t.finish({
    ok: true,
    session: {
      id: ID,
      created: t.session === null,
      changed: new Map([['', Buffer.from(value)]]),
      previews: { '': { t: 'dict', v: [] } },
      deleted: [],
    },
  });

async function twoProcesses(table: string): Promise<[PgSessionStore, PgSessionStore]> {
  const a = await PgSessionStore.open({ target: TEST_PG, table: schema.table(table) });
  const b = await PgSessionStore.open({ target: TEST_PG, table: schema.table(table) });
  stores.push(a, b);
  return [a, b];
}

describe('PostgreSQL session lock across processes', () => {
  it('holds a session against the other process until released, then hands it over', async () => {
    const [a, b] = await twoProcesses('l1');
    const release = await a.lock.acquire(ID, 1000);
    await expect(b.lock.acquire(ID, 150)).rejects.toBeInstanceOf(LockTimeoutError);
    // another session is not held up
    (await b.lock.acquire('M'.repeat(43), 150))();
    const waiting = b.lock.acquire(ID, 5000);
    setTimeout(release, 50);
    (await waiting)();
  });

  it('a lock dies with its connection (a killed process): the session is free at once', async () => {
    const [a, b] = await twoProcesses('l2');
    await a.lock.acquire(ID, 1000);
    // the holder's lock connection goes, as when its process is killed
    const holders = await sql<{ pid: number }>(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
         AND objid::bigint = ($1::bigint & 4294967295)`,
      [lockKeyOf(ID)],
    );
    expect(holders).toHaveLength(1);
    await sql('SELECT pg_terminate_backend($1)', [holders[0]!.pid]);
    (await b.lock.acquire(ID, 2000))();
  });

  it('SessionManager: a request waits for the other process, and past LockTimeout fails (503)', async () => {
    const [a, b] = await twoProcesses('l3');
    const ma = new SessionManager({ store: a, crossProcessLock: a.lock, options: OPTIONS });
    const mb = new SessionManager({ store: b, crossProcessLock: b.lock, options: OPTIONS });
    await write(await ma.open({}), 'x');
    const cookie = { id: ID, former: null };
    const holding = await ma.open({ cookie });
    expect(holding.session?.id).toBe(ID);
    await expect(mb.open({ cookie })).rejects.toBeInstanceOf(LockTimeoutError);
    const next = mb.open({ cookie });
    setTimeout(() => void holding.finish({ ok: true }), 50);
    const t = await next;
    expect(t.session?.id).toBe(ID);
    await t.finish({ ok: true });
  });

  it("Studio's edits hold the session in every process, as a request does", async () => {
    const [a, b] = await twoProcesses('l4');
    const ma = new SessionManager({ store: a, crossProcessLock: a.lock, options: OPTIONS });
    const mb = new SessionManager({ store: b, crossProcessLock: b.lock, options: OPTIONS });
    const editing = await ma.lockSession(ID);
    await expect(mb.lockSession(ID)).rejects.toBeInstanceOf(LockTimeoutError);
    editing();
    (await mb.lockSession(ID))();
  });
});

/** The key pg-lock.ts locks a session under (FNV-1a of the id, signed 32-bit). */
function lockKeyOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

describe('PostgreSQL session lock: other processes get their turn', () => {
  it('a process with a queue of requests of one session lets another process in', async () => {
    const [a, b] = await twoProcesses('l5');
    const ma = new SessionManager({
      store: a,
      crossProcessLock: a.lock,
      options: { ...OPTIONS, lockTimeout: 30 },
    });
    const mb = new SessionManager({
      store: b,
      crossProcessLock: b.lock,
      options: { ...OPTIONS, lockTimeout: 30 },
    });
    let doneInA = 0;
    let aDoneWhenBGotIt = -1;
    const first = await ma.lockSession(ID);
    // 100 requests of the session queue in process A...
    const inA = Array.from({ length: 100 }, async () => {
      const release = await ma.lockSession(ID);
      await new Promise((r) => setTimeout(r, 2));
      doneInA++;
      release();
    });
    // ...and one arrives in process B meanwhile
    const inB = mb.lockSession(ID).then((release) => {
      aDoneWhenBGotIt = doneInA;
      release();
    });
    first();
    await Promise.all([...inA, inB]);
    expect(aDoneWhenBGotIt).toBeGreaterThanOrEqual(0);
    // A hears B's failed try and lets B in once the request it is running ends
    expect(aDoneWhenBGotIt).toBeLessThan(50);
  });
});

describe('PostgreSQL session lock: the read that comes with it', () => {
  it('each request reads what the one before it committed, in this process and the other', async () => {
    const [a, b] = await twoProcesses('l6');
    const options = { ...OPTIONS, lockTimeout: 30 };
    const ma = new SessionManager({ store: a, crossProcessLock: a.lock, options });
    const mb = new SessionManager({ store: b, crossProcessLock: b.lock, options });
    await write(await ma.open({}), '0');
    const cookie = { id: ID, former: null };
    // Read-modify-write from both processes at once: a stale read would lose an increment
    // (or fail on the version check); the lock taken over within a process reads too.
    const bump = async (m: SessionManager) => {
      const t = await m.open({ cookie });
      const p = t.session!.ns.get('')!;
      const n = Number((Buffer.isBuffer(p) ? p : p.read()).toString());
      await write(t, String(n + 1));
    };
    await Promise.all(Array.from({ length: 60 }, (_, i) => bump(i % 2 ? ma : mb)));
    const last = await b.load(ID, Date.now() / 1000);
    expect(last!.ns.get('')!.pickle.toString()).toBe('60');
  });

  it('a session unknown to the store is locked all the same, and read as none', async () => {
    const [a, b] = await twoProcesses('l7');
    const held = await a.lock.acquireAndLoad(ID, 1000, () => Date.now() / 1000);
    expect(held.loaded).toBeNull();
    await expect(b.lock.acquireAndLoad(ID, 100, () => 0)).rejects.toBeInstanceOf(LockTimeoutError);
    held.release();
    (await b.lock.acquireAndLoad(ID, 2000, () => 0)).release();
  });
});

describe('PostgreSQL session lock: leases', () => {
  /** The advisory locks of the sessions of `table` held now, by any process. */
  async function held(table: string): Promise<number> {
    const space = lockKeyOf(`pse:${schema.table(table)}`);
    const rows = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND classid::bigint = ($1::bigint & 4294967295) AND objsubid = 2`,
      [space],
    );
    return Number(rows[0]!.n);
  }

  it('a released lock is kept for this process, and let go at once when another process asks', async () => {
    const [a, b] = await twoProcesses('l9');
    (await a.lock.acquire(ID, 1000))();
    expect(await held('l9')).toBe(1);
    // far less than the lease: B's failed try tells A, which lets go
    (await b.lock.acquire(ID, 300))();
  });

  it('a takeover reads the session from memory; once another process had it, from the database', async () => {
    const [a, b] = await twoProcesses('l10');
    const options = { ...OPTIONS, lockTimeout: 5 };
    const ma = new SessionManager({ store: a, crossProcessLock: a.lock, options });
    await write(await ma.open({}), 'kept');
    const cookie = { id: ID, former: null };
    const read = async (): Promise<string> => {
      const t = await ma.open({ cookie });
      const p = t.session!.ns.get('')!;
      await t.finish({ ok: true });
      return (Buffer.isBuffer(p) ? p : p.read()).toString();
    };
    expect(await read()).toBe('kept');
    // changed behind the lock's back (nothing in PSE writes so): the lease's copy is read
    await sql(`UPDATE ${pgTables(schema.table('l10')).ns} SET pickle = 'changed'`);
    expect(await read()).toBe('kept');
    // another process held the session in between: read again
    (await b.lock.acquire(ID, 2000))();
    expect(await read()).toBe('changed');
  });

  it('a session other processes asked for gets no lease: its lock goes at the end of the turn', async () => {
    const [a, b] = await twoProcesses('l12');
    (await a.lock.acquire(ID, 1000))(); // kept by A
    (await b.lock.acquire(ID, 300))(); // B asks: A lets go; now kept by B
    (await a.lock.acquire(ID, 300))(); // A asks B; A, asked for it before, keeps no lease
    await vi.waitFor(async () => expect(await held('l12')).toBe(0), { timeout: 300 });
  });

  it('keeps at most 256 leases, and lets go of those unused for a second', async () => {
    const [a] = await twoProcesses('l11');
    for (let i = 0; i < 300; i++) (await a.lock.acquire(`S${String(i).padStart(42, '0')}`, 1000))();
    expect(await held('l11')).toBeLessThanOrEqual(256);
    expect(await held('l11')).toBeGreaterThan(200);
    await vi.waitFor(async () => expect(await held('l11')).toBe(0), { timeout: 5000 });
  });
});

describe('PostgreSQL session lock: the role it needs', () => {
  it('a role without TEMPORARY on the database is refused at open, saying what to grant', async () => {
    const name = `pse_notemp_${process.pid}_${Date.now() % 100000}`;
    await sql(`CREATE ROLE ${name} LOGIN`);
    try {
      await sql(`CREATE DATABASE ${name} OWNER ${name}`);
      await sql(`REVOKE TEMPORARY ON DATABASE ${name} FROM PUBLIC, ${name}`);
      const target = { ...TEST_PG, user: name, database: name };
      await expect(PgSessionStore.open({ target, table: 'pse_session' })).rejects.toThrow(
        new RegExp(`session store postgresql://${name}@.*/${name}: cannot open: .*TEMPORARY`),
      );
      // with the privilege back, the same role opens it
      await sql(`GRANT TEMPORARY ON DATABASE ${name} TO ${name}`);
      await (await PgSessionStore.open({ target, table: 'pse_session' })).close();
    } finally {
      await sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await sql(`DROP ROLE IF EXISTS ${name}`);
    }
  });
});
