/**
 * The cross-process session lock of a PostgreSQL store: a session-level advisory lock on a
 * hash of the id (and of the table, so that two apps on one database never share keys), taken
 * with `pg_try_advisory_lock` on a connection of this process reserved for locks, so that a
 * session is locked and unlocked on the same connection.
 *
 * That connection is pipelined: statements go without waiting for the answers of those before
 * them, and its socket is corked until the end of the event loop's turn, so the statements of a
 * turn leave in one write and the backend wakes once for all of them. On the read path the
 * round trips, not the database's work, cost the most (on a VM each wake-up of a sleeping
 * process costs more than the statement): one pipelined connection served more requests than
 * four that each ran one statement at a time (docs/performance.md).
 *
 * Trying without waiting keeps the connection free for every session of the process; a
 * busy session is tried again after 1, 2, 4… up to 8 ms, until LockTimeout. When the process
 * dies its connection closes and PostgreSQL drops its locks at once. When the connection is
 * lost its locks are gone too: the holders' commits are still safe, as every commit checks the
 * session's version.
 *
 * A request's lock and its read are one statement (`pse_lock_load`, a function this process
 * creates on its lock connection, in pg_temp): it tries the lock and, holding it, reads the
 * session and its namespaces. A function, because its query takes its own snapshot after the
 * lock is held; one plain statement reads as of its start and could miss the commit of the
 * holder that just let go. On the read path the database's round trips, not its work, cost the
 * most (each is a write to a socket and a wake-up on both sides), so a request makes one.
 *
 * A released lock is kept (a lease) for up to LEASE_MS: this process's next request of the
 * same session takes it over without a round trip to the database, and reads the session from
 * memory (the store's cache, written through by this process's own commits): while the lock was
 * held without a break, no other process can have changed the session. Every acquisition that
 * is not such a takeover reads the session again (or forgets it), and every lock let go in the
 * database forgets it, so the cache is only ever read under an unbroken hold. Another process
 * whose try fails says so (`pg_notify` on the table's channel, which the lock connection
 * listens to): a kept lock is let go at once, one in use as soon as its request ends, and this
 * process then waits a little longer than the others' longest retry before it tries again, so
 * that a process with a queue of one session's requests never starves the other processes of
 * it. A session asked for in the last CONTESTED_MS gets no lease, only the rest of the turn
 * (processes that take turns on it, as behind a round-robin balancer, would each wait for the
 * other's lease). Leases that went unused for LEASE_MS are let go by one statement for all of
 * them, and at most MAX_LEASES are kept (advisory locks take room in PostgreSQL's shared lock
 * table).
 */
import type { Writable } from 'node:stream';
import pg from 'pg';
import { LockTimeoutError, type Release } from './locks.js';
import type { LockedSession, SessionLockProvider } from './cross-process-lock.js';
import type { PgHealth } from './pg-connection.js';
import { cachedBytes, loadColumns, loadSql, sessionOfRows, type LoadRow } from './pg-load.js';
import type { PgTables } from './pg-schema.js';
import type { SessionCache } from './session-cache.js';
import type { StoredSession } from './store.js';

/** The channel a process whose try failed tells the holder on (`$1`: the table's key space). */
const channelOf = (space: number): string => `pse_lock_${space}`;
/**
 * Unlocks `$3` (expired leases of the connection), then tries `$2`; a failed try tells the
 * holder (pg_notify).
 */
const TRY = `SELECT t.ok,
                    (SELECT count(pg_advisory_unlock($1, k)) FROM unnest($3::integer[]) AS k) AS unlocked,
                    CASE WHEN t.ok THEN NULL ELSE pg_notify('pse_lock_' || $1, $2::text) END AS asked
               FROM (SELECT pg_try_advisory_lock($1, $2) AS ok) AS t`;
const UNLOCK = 'SELECT count(pg_advisory_unlock($1, k)) FROM unnest($2::integer[]) AS k';
const LOCK_LOAD = 'SELECT * FROM pg_temp.pse_lock_load($1, $2, $3, $4)';

/** pse_lock_load's text for one store's tables. */
export function lockLoadFunction(t: PgTables): string {
  return `CREATE OR REPLACE FUNCTION pg_temp.pse_lock_load(
      space integer, key integer, sid text, unlocks integer[])
    RETURNS TABLE (locked boolean, id text, created float8, accessed float8, expires float8,
      version integer, name text, pickle bytea, preview jsonb, nsv integer)
    LANGUAGE plpgsql VOLATILE AS $f$
    #variable_conflict use_column
    BEGIN
      IF cardinality(unlocks) > 0 THEN
        PERFORM pg_advisory_unlock(space, k) FROM unnest(unlocks) AS k;
      END IF;
      IF NOT pg_try_advisory_lock(space, key) THEN
        PERFORM pg_notify('pse_lock_' || space, key::text);
        locked := false;
        RETURN NEXT;
        RETURN;
      END IF;
      RETURN QUERY SELECT true, ${loadColumns()}
        FROM ${t.sessions} s LEFT JOIN ${t.ns} n ON n.session = s.id WHERE s.id = sid;
      IF NOT FOUND THEN
        locked := true;
        RETURN NEXT;
      END IF;
    END $f$`;
}
const MAX_BACKOFF_MS = 8;
/** takeovers in a row before a lock is let go all the same (then as when asked for) */
const MAX_HANDOVERS = 1000;
/** how long a released lock is kept for this process's next request of its session */
const LEASE_MS = 1000;
/** leases kept at most per process */
const MAX_LEASES = 256;
/**
 * how long a session another process asked for gets no lease here: its released lock is let go
 * at the end of the turn, as processes that take turns on it (a load balancer's round robin)
 * would otherwise each wait for the other's lease
 */
const CONTESTED_MS = 10_000;

/** A lock released by its holder, not yet unlocked in the database (a lease). */
interface Lingering {
  id: string;
  lane: LockLane;
  c: pg.Client;
  key: number;
  handovers: number;
  /** performance.now() at its release */
  since: number;
  /** let go at the end of the turn (a contested session), not kept as a lease */
  short: boolean;
}

/** FNV-1a, as a signed 32-bit key for the two-key advisory lock functions. */
export function lockKey(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h | 0;
}

interface LockLoadRow extends LoadRow {
  locked: boolean;
}

export class PgSessionLocks implements SessionLockProvider {
  private readonly lane: LockLane;
  private closed = false;
  private readonly space: number;
  private readonly lingering = new Map<string, Lingering>();
  /** sessions this process let go because another asked for them: not before this time (ms) */
  private readonly yielding = new Map<string, number>();
  /** keys other processes asked for: key → when, last */
  private readonly asked = new Map<number, number>();
  private readonly loadSql: string;

  /**
   * @param cache the store's loaded sessions, read on a takeover and written here by every
   *   acquisition that reads the session; the store writes its commits through to it
   */
  constructor(
    config: pg.ClientConfig,
    t: PgTables,
    private readonly health: PgHealth,
    private readonly cache: SessionCache,
  ) {
    this.space = lockKey(`pse:${t.sessions}`);
    this.loadSql = loadSql(t);
    const setup = `${lockLoadFunction(t)}; LISTEN "${channelOf(this.space)}"`;
    this.lane = new LockLane(config, health, setup, {
      asked: (key) => this.onAsked(key),
      // the connection's locks went with it, and what was read under them
      lost: () => {
        this.lingering.clear();
        this.cache.clear();
      },
    });
  }

  async acquire(id: string, timeoutMs: number): Promise<Release> {
    return (await this.lock(id, timeoutMs, null)).release;
  }

  /** The lock of `id` and, in the same statement, the session as the database has it now. */
  acquireAndLoad(id: string, timeoutMs: number, now: () => number): Promise<LockedSession> {
    return this.lock(id, timeoutMs, now);
  }

  private async lock(
    id: string,
    timeoutMs: number,
    loadAt: (() => number) | null,
  ): Promise<LockedSession> {
    const kept = this.takeOver(id);
    if (kept) {
      const release = this.releaser(kept.lane, kept.c, kept.key, id, kept.handovers + 1);
      if (loadAt === null) return { release, loaded: null };
      // held without a break since it was read or written here: as the database has it
      const cached = this.cache.get(id);
      if (cached) return { release, loaded: cached.expires > loadAt() ? cached : null };
      try {
        return { release, loaded: await this.loadHeld(kept.lane, kept.c, id, loadAt) };
      } catch (err) {
        release();
        throw err;
      }
    }
    const started = performance.now();
    const turn = this.yielding.get(id);
    if (turn !== undefined) {
      this.yielding.delete(id);
      if (turn > started) await new Promise((r) => setTimeout(r, turn - started));
    }
    const key = lockKey(id);
    const lane = this.lane;
    let delay = 1;
    for (;;) {
      if (this.closed) throw new Error('session lock connection closed');
      const c = await lane.connection();
      let got: LockedSession | null;
      try {
        got = await this.tryOnce(lane, c, id, key, loadAt);
      } catch (err) {
        lane.drop(c);
        throw this.health.failed(err);
      }
      this.health.ok();
      if (got) return got;
      const waited = performance.now() - started;
      if (waited + delay > timeoutMs) throw new LockTimeoutError(id, waited);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  /** One try: null when another process holds the session. */
  private async tryOnce(
    lane: LockLane,
    c: pg.Client,
    id: string,
    key: number,
    loadAt: (() => number) | null,
  ): Promise<LockedSession | null> {
    const unlocks = this.lingeringOn(lane);
    if (loadAt === null) {
      const r = await lane.send<{ ok: boolean }>(c, {
        name: 'pse_try_lock',
        text: TRY,
        values: [this.space, key, unlocks],
      });
      if (!r.rows[0]!.ok) return null;
      this.cache.delete(id); // not read with the lock: a takeover must read it
      return { release: this.releaser(lane, c, key, id, 0), loaded: null };
    }
    const r = await lane.send<LockLoadRow>(c, {
      name: 'pse_lock_load',
      text: LOCK_LOAD,
      values: [this.space, key, id, unlocks],
    });
    if (!r.rows[0]!.locked) return null;
    const loaded = sessionOfRows(r.rows, loadAt());
    this.remember(id, loaded);
    return { release: this.releaser(lane, c, key, id, 0), loaded };
  }

  /** What a read under the lock found, for the takeovers that follow. */
  private remember(id: string, loaded: StoredSession | null): void {
    if (!loaded) {
      this.cache.delete(id);
      return;
    }
    const nsBytes = new Map<string, number>();
    for (const [name, n] of loaded.ns) nsBytes.set(name, cachedBytes(n.pickle));
    this.cache.set(loaded, nsBytes);
  }

  /** The session, read on the connection that holds its lock (taken over from a request). */
  private async loadHeld(
    lane: LockLane,
    c: pg.Client,
    id: string,
    now: () => number,
  ): Promise<LockedSession['loaded']> {
    let r: pg.QueryResult<LoadRow>;
    try {
      r = await lane.send<LoadRow>(c, { name: 'pse_load', text: this.loadSql, values: [id] });
    } catch (err) {
      lane.drop(c);
      throw this.health.failed(err);
    }
    this.health.ok();
    const loaded = sessionOfRows(r.rows, now());
    this.remember(id, loaded);
    return loaded;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lingering.clear();
    this.cache.clear();
    await this.lane.close();
  }

  /** Another process failed to lock `key`: a lease on it is let go now, one in use at its release. */
  private onAsked(key: number): void {
    const lane = this.lane;
    const now = performance.now();
    const keys: number[] = [];
    for (const l of lane.lingering) {
      if (l.key !== key) continue;
      this.letGo(l);
      this.yield(l.id, now);
      if (l.c === lane.client) keys.push(key);
    }
    if (keys.length && lane.client) this.unlock(lane, lane.client, keys);
    if (this.asked.size >= 1024)
      for (const [k, at] of this.asked) if (now - at > CONTESTED_MS) this.asked.delete(k);
    this.asked.set(key, now);
  }

  /** Forgets a lease about to be unlocked, and the session it kept. */
  private letGo(l: Lingering): void {
    l.lane.remove(l);
    if (this.lingering.get(l.id) === l) this.lingering.delete(l.id);
    this.cache.delete(l.id);
  }

  /** This process does not try `id` again before the other processes' retries have come. */
  private yield(id: string, now: number): void {
    if (this.yielding.size >= 1024)
      for (const [other, until] of this.yielding) if (until <= now) this.yielding.delete(other);
    this.yielding.set(id, now + 2 * MAX_BACKOFF_MS);
  }

  /** A lock of `id` this process let go of this turn, if it still holds it in the database. */
  private takeOver(id: string): Lingering | null {
    const kept = this.lingering.get(id);
    if (!kept) return null;
    this.lingering.delete(id);
    kept.lane.remove(kept);
    if (kept.c === kept.lane.client) return kept;
    this.cache.delete(id);
    return null;
  }

  /**
   * The keys of the locks on `lane` that are over: let go at the end of the turn, unused for
   * LEASE_MS, or past MAX_LEASES (oldest first). The statement about to go unlocks them.
   */
  private lingeringOn(lane: LockLane): number[] {
    if (lane.lingering.size === 0) return [];
    const keys: number[] = [];
    const now = performance.now();
    let excess = lane.lingering.size - MAX_LEASES;
    // released in order: the oldest come first
    for (const l of lane.lingering) {
      if (!l.short && excess <= 0 && now - l.since < LEASE_MS) {
        if (lane.shortCount === 0) break;
        continue;
      }
      excess--;
      this.letGo(l);
      if (l.c === lane.client) keys.push(l.key);
    }
    return keys;
  }

  /** Unlocks on the connection that locked; a lost connection has dropped the lock already. */
  private releaser(
    lane: LockLane,
    c: pg.Client,
    key: number,
    id: string,
    handovers: number,
  ): Release {
    let done = false;
    const from = performance.now();
    return () => {
      if (done) return;
      done = true;
      if (c !== lane.client) {
        this.cache.delete(id);
        return;
      }
      if (this.closed) return this.unlock(lane, c, [key]);
      const now = performance.now();
      const asked = this.asked.get(key) ?? -Infinity;
      // asked for while this request held it: let go, and let the asker in first
      if (asked >= from || handovers >= MAX_HANDOVERS) {
        this.cache.delete(id);
        this.yield(id, now);
        return this.unlock(lane, c, [key]);
      }
      const short = now - asked <= CONTESTED_MS;
      const l: Lingering = { id, lane, c, key, handovers, since: now, short };
      this.lingering.set(id, l);
      lane.add(l);
      if (short) {
        if (!lane.flushing) {
          lane.flushing = true;
          setImmediate(() => {
            lane.flushing = false;
            this.expire(lane);
          });
        }
      }
      if (lane.lingering.size > MAX_LEASES) this.expire(lane);
      this.expireLater(lane, LEASE_MS);
    };
  }

  /** Unlocks the leases that are over in one statement; looks again while some are left. */
  private expire(lane: LockLane): void {
    const keys = this.lingeringOn(lane);
    if (keys.length && lane.client) this.unlock(lane, lane.client, keys);
    if (lane.lingering.size) this.expireLater(lane, LEASE_MS / 2);
  }

  private expireLater(lane: LockLane, ms: number): void {
    if (lane.sweeping || this.closed) return;
    lane.sweeping = setTimeout(() => {
      lane.sweeping = null;
      this.expire(lane);
    }, ms);
    lane.sweeping.unref();
  }

  private unlock(lane: LockLane, c: pg.Client, keys: number[]): void {
    if (c !== lane.client) return;
    lane
      .send(c, { name: 'pse_unlock', text: UNLOCK, values: [this.space, keys] })
      .catch((err: unknown) => {
        lane.drop(c);
        this.health.failed(err);
      });
  }
}

/**
 * The connection reserved for locks, (re)connected on demand, with pse_lock_load created on
 * it; and the locks released on it this turn, not unlocked yet.
 */
class LockLane {
  client: pg.Client | null = null;
  /** leases, in the order they were released (add and remove them with add() and remove()) */
  readonly lingering = new Set<Lingering>();
  /** how many of them are let go at the end of the turn */
  shortCount = 0;
  flushing = false;
  sweeping: NodeJS.Timeout | null = null;
  private corked = false;
  private connecting: Promise<pg.Client> | null = null;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly health: PgHealth,
    private readonly setup: string,
    private readonly hear: { asked(key: number): void; lost(): void },
  ) {}

  add(l: Lingering): void {
    this.lingering.add(l);
    if (l.short) this.shortCount++;
  }

  remove(l: Lingering): void {
    if (this.lingering.delete(l) && l.short) this.shortCount--;
  }

  connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error('session lock connection closed'));
    this.connecting ??= (async () => {
      const c = new pg.Client({ ...this.config, pipeline: true });
      c.on('error', () => this.drop(c)); // said by the next acquire, which fails
      c.on('notification', (m) => {
        // this connection's own failed tries are heard too: another process holds those
        const own = (c as unknown as { processID: number | null }).processID;
        if (c === this.client && m.processId !== own && m.payload)
          this.hear.asked(Number(m.payload));
      });
      try {
        await c.connect();
        await c.query(this.setup);
      } catch (err) {
        void c.end().catch(() => undefined);
        throw this.health.failed(err);
      } finally {
        this.connecting = null;
      }
      if (this.closed) {
        await c.end().catch(() => undefined);
        throw new Error('session lock connection closed');
      }
      this.client = c;
      return c;
    })();
    return this.connecting;
  }

  /**
   * Sends a statement. The connection is pipelined and its socket corked until the end of the
   * event loop's turn: the statements of one turn go in one write, and the backend wakes once
   * for all of them (on a VM, waking a sleeping process costs more than the statement).
   */
  send<R extends pg.QueryResultRow>(c: pg.Client, q: pg.QueryConfig): Promise<pg.QueryResult<R>> {
    if (!this.corked) {
      const socket = (c as unknown as { connection: { stream: Writable } }).connection.stream;
      this.corked = true;
      socket.cork();
      setImmediate(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    return c.query<R>(q);
  }

  drop(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    this.lingering.clear(); // its locks went with it, and the sessions read under them
    this.shortCount = 0;
    this.hear.lost();
    void c.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeping) clearTimeout(this.sweeping);
    this.sweeping = null;
    const c = this.client ?? (await this.connecting?.catch(() => null));
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
