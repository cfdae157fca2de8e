/**
 * The cross-process session lock of a PostgreSQL store: a session-level advisory lock on a
 * hash of the id (and of the table, so that two apps on one database never share keys), taken
 * with `pg_try_advisory_lock` on one connection of this process reserved for locks.
 *
 * Trying without waiting keeps that one connection free for every session of the process; a
 * busy session is tried again after 1, 2, 4… up to 8 ms, until LockTimeout. When the process
 * dies its connection closes and PostgreSQL drops its locks at once. When the connection is
 * lost its locks are gone too: the holders' commits are still safe, as every commit checks the
 * session's version.
 */
import pg from 'pg';
import { LockTimeoutError, type Release } from './locks.js';
import type { SessionLockProvider } from './cross-process-lock.js';
import type { PgHealth } from './pg-connection.js';

const TRY = 'SELECT pg_try_advisory_lock($1, $2) AS ok';
const UNLOCK = 'SELECT pg_advisory_unlock($1, $2)';
const MAX_BACKOFF_MS = 8;

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
  private client: pg.Client | null = null;
  private connecting: Promise<pg.Client> | null = null;
  private closed = false;
  private readonly space: number;

  constructor(
    private readonly config: pg.ClientConfig,
    table: string,
    private readonly health: PgHealth,
  ) {
    this.space = lockKey(`pse:${table}`);
  }

  async acquire(id: string, timeoutMs: number): Promise<Release> {
    const started = performance.now();
    const key = lockKey(id);
    let delay = 1;
    for (;;) {
      const c = await this.connection();
      let ok: boolean;
      try {
        const r = await c.query<{ ok: boolean }>({
          name: 'pse_try_lock',
          text: TRY,
          values: [this.space, key],
        });
        ok = r.rows[0]!.ok;
      } catch (err) {
        this.drop(c);
        throw this.health.failed(err);
      }
      this.health.ok();
      if (ok) return this.releaser(c, key);
      const waited = performance.now() - started;
      if (waited + delay > timeoutMs) throw new LockTimeoutError(id, waited);
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, MAX_BACKOFF_MS);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client ?? (await this.connecting?.catch(() => null));
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  /** Unlocks on the connection that locked; a lost connection has dropped the lock already. */
  private releaser(c: pg.Client, key: number): Release {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (c !== this.client) return;
      c.query({ name: 'pse_unlock', text: UNLOCK, values: [this.space, key] }).catch(
        (err: unknown) => {
          this.drop(c);
          this.health.failed(err);
        },
      );
    };
  }

  private connection(): Promise<pg.Client> {
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

  private drop(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    void c.end().catch(() => undefined);
  }
}
