/**
 * The lock that serializes one session's requests across processes (several `pse serve`
 * instances on one store). The SessionManager takes it after the in-process FIFO lock, so each
 * process asks for a session at most once at a time; the backend decides how processes
 * exclude each other (file record locks on one machine, a database's locks across machines).
 * A process that dies must leave no session locked: its locks go with it.
 */
import type { Release } from './locks.js';

export type { Release };

export interface SessionLockProvider {
  /**
   * Resolves once no other process holds `id`; rejects with LockTimeoutError when that takes
   * longer than `timeoutMs`. Release exactly once.
   */
  acquire(id: string, timeoutMs: number): Promise<Release>;
  close(): Promise<void>;
}
