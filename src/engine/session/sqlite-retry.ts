/**
 * Runs a session-store statement without ever blocking the event loop on another process's
 * lock. The connection has `busy_timeout = 0`, so a statement that meets a lock fails at once
 * (SQLITE_BUSY) instead of sleeping inside SQLite with the whole server stalled; it is tried
 * again after a timer, with back-off, until `waitMs` has passed. Other requests are served
 * meanwhile. A lock still held then, a full disk or a damaged file become a SessionStoreError
 * that says which file and what to do, and whether trying again later may help.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isBusy, isCorrupt, isFull } from '../sqlite.js';
import { SessionStoreError, StoreUnavailableError } from './store.js';

/** First wait after a busy statement; doubled up to MAX_BACKOFF_MS. */
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;
/** Retry-After (s) for a full disk: freeing space takes a person, not a moment. */
const FULL_RETRY_AFTER_S = 30;

/**
 * `run()` now, and again after back-off while SQLite answers busy, for up to `waitMs`. The
 * first try is synchronous: without a lock in the way it costs no timer and no extra turn.
 */
export async function retryBusy<T>(file: string, waitMs: number, run: () => T): Promise<T> {
  try {
    return run();
  } catch (err) {
    if (!isBusy(err)) throw storeError(file, err);
  }
  const deadline = performance.now() + waitMs;
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    const left = deadline - performance.now();
    if (left <= 0) break;
    await sleep(Math.min(backoff, left));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    try {
      return run();
    } catch (err) {
      if (!isBusy(err)) throw storeError(file, err);
    }
  }
  throw new StoreUnavailableError(
    `session store ${file}: locked by another process for ${Math.round(waitMs)} ms (a long write by \`pse studio\`, \`pse run\`, another server or an sqlite3 shell); the change was not saved, try again`,
    'store_busy',
    1,
  );
}

/** A SQLite failure as a SessionStoreError naming the file; other errors pass unchanged. */
export function storeError(file: string, err: unknown): unknown {
  if (isFull(err)) {
    return new StoreUnavailableError(
      `session store ${file}: the disk is full (SQLITE_FULL); the change was not saved. Free space on that disk; sessions are written again as soon as there is room`,
      'store_full',
      FULL_RETRY_AFTER_S,
      { cause: err },
    );
  }
  if (isCorrupt(err)) return damagedError(file, (err as Error).message, err);
  return err;
}

/** A damaged store file, with what to do about it. */
export function damagedError(file: string, detail: string, cause?: unknown): SessionStoreError {
  return new SessionStoreError(
    `session store ${file} is damaged (${detail}). Stop every PSE process that uses it, then move the file away together with its -wal and -shm files (a new, empty store is made at the next start; \`sqlite3 ${file} .recover\` may save what is still readable) or put back a backup`,
    undefined,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}
