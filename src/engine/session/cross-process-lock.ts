/**
 * The lock that serializes one session's requests across processes (several `pse serve`
 * instances or machines on one store). The SessionManager takes it after the process's own FIFO
 * lock (locks.ts), for what is left of LockTimeout, so each process asks for a session at most
 * once at a time; the backend decides how processes exclude each other (file record locks on
 * one machine, PostgreSQL's advisory locks across machines).
 *
 * An implementation must not outlive its holder: a process that dies (kill -9) must leave no
 * session locked — its locks go with its connection or its file descriptor.
 */
import type { Release } from './locks.js';
import type { StoredSession } from './store.js';

export type { Release };

/** A session's lock, and the session as the store had it once the lock was held. */
export interface LockedSession {
  release: Release;
  loaded: StoredSession | null;
}

export interface SessionLockProvider {
  /**
   * Resolves with the release once no other process holds `id`; rejects with LockTimeoutError
   * after `timeoutMs`, or with the backend's error when the lock cannot be asked for at all.
   * Release is idempotent and never throws.
   */
  acquire(id: string, timeoutMs: number): Promise<Release>;
  /**
   * `acquire`, then the session as the store has it at `now()` (null: unknown or expired), where
   * the backend can read it in the same exchange as the lock (the store's `load` otherwise).
   */
  acquireAndLoad?(id: string, timeoutMs: number, now: () => number): Promise<LockedSession>;
  /**
   * Whether the hold of `id` granted by the last acquire continues this process's previous one
   * without a break (a lock kept between requests): no other process has held it since.
   */
  continues?(id: string): boolean;
  /** Lets go of every lock and the connection; idempotent. */
  close(): Promise<void>;
}
