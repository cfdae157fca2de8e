/**
 * The cross-process session lock of a PostgreSQL store: a session-level advisory lock on a
 * hash of the id (and of the table, so that two apps on one database never share keys), taken
 * with `pg_try_advisory_lock` on one of a few connections of this process reserved for locks
 * (its lane: chosen by the hash, so a session is locked and unlocked on the same connection).
 * A connection of `pg` runs one query at a time; with one lane every lock and unlock of the
 * process waited in one queue, and on the session read path (one cookie per connection) that
 * queue, not the database, set the pace.
 *
 * Trying without waiting keeps the lanes free for every session of the process; a
 * busy session is tried again after 1, 2, 4… up to 8 ms, until LockTimeout. When the process
 * dies its connection closes and PostgreSQL drops its locks at once. When the connection is
 * lost its locks are gone too: the holders' commits are still safe, as every commit checks the
 * session's version.
 *
 * A released lock lingers until the current turn of the event loop has run: when this
 * process's next request of the same session is already waiting (the in-process FIFO grants it
 * at once), it takes the lock over without a round trip to the database. At most
 * MAX_HANDOVERS times in a row: then the lock is released, and this process waits a little
 * longer than the others' longest retry before it tries again, so that a process with a queue
 * of one session's requests never starves the other processes of it.
 */
import pg from 'pg';
import { LockTimeoutError, type Release } from './locks.js';
import type { SessionLockProvider } from './cross-process-lock.js';
import type { PgHealth } from './pg-connection.js';

const TRY = 'SELECT pg_try_advisory_lock($1, $2) AS ok';
const UNLOCK = 'SELECT pg_advisory_unlock($1, $2)';
const MAX_BACKOFF_MS = 8;
const MAX_HANDOVERS = 16;
/** lock connections per process (opened on first use) */
const LANES = 4;

/** A lock released by its holder, not yet unlocked in the database. */
interface Lingering {
  lane: LockLane;
  c: pg.Client;
  key: number;
  handovers: number;
  timer: NodeJS.Immediate;
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

export class PgSessionLocks implements SessionLockProvider {
  private readonly lanes: LockLane[];
  private closed = false;
  private readonly space: number;
  private readonly lingering = new Map<string, Lingering>();
  /** sessions this process let go after a run of handovers: not before this time (ms) */
  private readonly yielding = new Map<string, number>();

  constructor(
    private readonly config: pg.ClientConfig,
    table: string,
    private readonly health: PgHealth,
  ) {
    this.space = lockKey(`pse:${table}`);
    this.lanes = Array.from({ length: LANES }, () => new LockLane(config, health));
  }

  async acquire(id: string, timeoutMs: number): Promise<Release> {
    const kept = this.lingering.get(id);
    if (kept) {
      this.lingering.delete(id);
      clearImmediate(kept.timer);
      if (kept.c === kept.lane.client)
        return this.releaser(kept.lane, kept.c, kept.key, id, kept.handovers + 1);
    }
    const started = performance.now();
    const turn = this.yielding.get(id);
    if (turn !== undefined) {
      this.yielding.delete(id);
      if (turn > started) await new Promise((r) => setTimeout(r, turn - started));
    }
    const key = lockKey(id);
    const lane = this.lanes[(key >>> 0) % LANES]!;
    let delay = 1;
    for (;;) {
      if (this.closed) throw new Error('session lock connection closed');
      const c = await lane.connection();
      let ok: boolean;
      try {
        const r = await c.query<{ ok: boolean }>({
          name: 'pse_try_lock',
          text: TRY,
          values: [this.space, key],
        });
        ok = r.rows[0]!.ok;
      } catch (err) {
        lane.drop(c);
        throw this.health.failed(err);
      }
      this.health.ok();
      if (ok) return this.releaser(lane, c, key, id, 0);
      const waited = performance.now() - started;
      if (waited + delay > timeoutMs) throw new LockTimeoutError(id, waited);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const l of this.lingering.values()) clearImmediate(l.timer);
    this.lingering.clear();
    await Promise.all(this.lanes.map((l) => l.close()));
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
    return () => {
      if (done) return;
      done = true;
      if (c !== lane.client) return;
      if (this.closed) return this.unlock(lane, c, key);
      if (handovers >= MAX_HANDOVERS) {
        const now = performance.now();
        if (this.yielding.size >= 1024)
          for (const [other, until] of this.yielding) if (until <= now) this.yielding.delete(other);
        this.yielding.set(id, now + 2 * MAX_BACKOFF_MS);
        return this.unlock(lane, c, key);
      }
      const timer = setImmediate(() => {
        if (this.lingering.get(id)?.timer !== timer) return;
        this.lingering.delete(id);
        this.unlock(lane, c, key);
      });
      this.lingering.set(id, { lane, c, key, handovers, timer });
    };
  }

  private unlock(lane: LockLane, c: pg.Client, key: number): void {
    if (c !== lane.client) return;
    c.query({ name: 'pse_unlock', text: UNLOCK, values: [this.space, key] }).catch(
      (err: unknown) => {
        lane.drop(c);
        this.health.failed(err);
      },
    );
  }
}

/** One connection reserved for locks, (re)connected on demand. */
class LockLane {
  client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly health: PgHealth,
  ) {}

  connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    if (this.closed) return Promise.reject(new Error('session lock connection closed'));
    this.connecting ??= (async () => {
      const c = new pg.Client(this.config);
      c.on('error', () => this.drop(c)); // said by the next acquire, which fails
      try {
        await c.connect();
      } catch (err) {
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

  drop(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    void c.end().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => null));
    this.client = null;
    await c?.end().catch(() => undefined);
  }
}
