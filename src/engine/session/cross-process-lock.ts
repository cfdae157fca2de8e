/**
 * A session lock shared by every process serving one store: one request of a session at a
 * time across processes (and machines), on top of each process's own FIFO (locks.ts).
 * SessionManager takes it after the process's own lock, for what is left of LockTimeout.
 *
 * An implementation must not outlive its holder: a process that dies (kill -9) must leave no
 * session locked (PostgreSQL's advisory locks go with their connection).
 */
import type { Release } from './locks.js';

export interface SessionLockProvider {
  /**
   * Resolves with the release once no other process holds `id`; rejects with LockTimeoutError
   * after `timeoutMs`, or with the store's error when the lock cannot be asked for at all.
   * Release is idempotent and never throws.
   */
  acquire(id: string, timeoutMs: number): Promise<Release>;
}
