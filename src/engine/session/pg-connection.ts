/**
 * Connections to a PostgreSQL session store: pse.conf's target as `pg` settings, failures as
 * messages that name the host and the database (never the password), and the store's health:
 * a lost server is said once in the log, and once more when it is back.
 */
import pg from 'pg';
import { describePgTarget, effectivePgTarget, type PgTarget } from '../config/pg-target.js';
import { SessionStoreError, StoreUnavailableError } from './store.js';

export function pgClientConfig(target: PgTarget | null): pg.ClientConfig {
  const t = effectivePgTarget(target);
  return {
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.user,
    ...(t.password !== undefined ? { password: t.password } : {}),
    ...(t.sslmode && t.sslmode !== 'disable' && t.sslmode !== 'allow' && t.sslmode !== 'prefer'
      ? { ssl: { rejectUnauthorized: t.sslmode === 'verify-ca' || t.sslmode === 'verify-full' } }
      : {}),
    application_name: t.applicationName ?? 'pse',
    connectionTimeoutMillis: (t.connectTimeout ?? 10) * 1000,
    ...(t.options !== undefined ? { options: t.options } : {}),
    keepAlive: true,
  };
}

/** The store cannot reach its database now: the request gets 503, the next one tries again. */
export class SessionStoreUnavailableError extends StoreUnavailableError {
  constructor(where: string, cause: unknown) {
    super(`session store ${where} is unreachable: ${messageOf(cause)}`, 'store_unreachable', 5, {
      cause,
    });
    this.name = 'SessionStoreUnavailableError';
  }
}

/**
 * A failure of the connection rather than of the statement: refused, reset, timed out, the
 * server shutting down (SQLSTATE class 08, 57P01–57P03) or pg's own "Connection terminated".
 */
export function isConnectionFailure(err: unknown): boolean {
  if (err instanceof pg.DatabaseError)
    return err.code !== undefined && (err.code.startsWith('08') || /^57P0[1-3]$/.test(err.code));
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET…
  return (
    err instanceof Error &&
    /connection terminated|connection timeout|connection error|not queryable|timeout exceeded when trying to connect/i.test(
      err.message,
    )
  );
}

/** The password is never part of a message: pg's own messages do not carry it, this makes sure. */
export function messageOf(err: unknown, target?: PgTarget | null): string {
  let m = err instanceof Error ? err.message || String(err) : String(err);
  if ((err as { code?: string }).code === 'ECONNREFUSED') m = 'connection refused';
  const pw = target ? effectivePgTarget(target).password : undefined;
  if (pw) m = m.split(pw).join('***');
  return m;
}

/** A failure to open the store at start, naming where it is. */
export function openError(target: PgTarget | null, err: unknown): SessionStoreError {
  return new SessionStoreError(
    `session store ${describePgTarget(target)}: cannot open: ${messageOf(err, target)}`,
    undefined,
    undefined,
    { cause: err },
  );
}

/**
 * Makes `pool` hear the errors of its clients while they are checked out, as it does while they
 * are idle.
 *
 * pg-pool listens for a client's errors only while it is idle. A connection lost while checked
 * out (the server stopped, the backend was terminated) emits an `error` that nobody hears, and
 * an unheard error ends the process; the statement that was running, or the next one, fails
 * with the same error, which is where it is reported.
 */
export function hearCheckedOutErrors(pool: pg.Pool): pg.Pool {
  const heard = (): void => undefined;
  pool.on('acquire', (c) => c.on('error', heard));
  pool.on('release', (_err, c) => c.removeListener('error', heard));
  return pool;
}

export type StoreLog = (level: 'error' | 'info', text: string) => void;

/** Whether the database answered last time; each change is one log line. */
export class PgHealth {
  private down = false;
  private closed = false;
  constructor(
    readonly where: string,
    private readonly log: StoreLog,
  ) {}

  /** The store is closing: its connections' ends are not news. */
  close(): void {
    this.closed = true;
  }

  ok(): void {
    if (!this.down) return;
    this.down = false;
    this.log('info', `session store ${this.where} is reachable again: sessions are served`);
  }

  /** A failed operation: a connection failure becomes SessionStoreUnavailableError (503). */
  failed(err: unknown): Error {
    if (!isConnectionFailure(err)) return err instanceof Error ? err : new Error(String(err));
    if (!this.down && !this.closed) {
      this.down = true;
      this.log(
        'error',
        `session store ${this.where} is unreachable (${messageOf(err)}): pages with a session answer 503 until it is back; reconnecting on each request`,
      );
    }
    return new SessionStoreUnavailableError(this.where, err);
  }
}
