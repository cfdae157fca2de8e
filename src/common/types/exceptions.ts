/**
 * Failures grouped by what raised them: the journal's rollback causes, one group per exception
 * type and raising line (or per kind, for crashes and timeouts). Plain data: no Node, no DOM.
 */
import type { RollbackCause } from './journal.js';

export interface ExceptionGroup {
  kind: RollbackCause['kind'];
  /** the exception's type, e.g. `ValueError`; for a crash, timeout or lock wait: its kind */
  type: string;
  /** the template or code-module line that raised (absent for crashes and timeouts) */
  file?: string;
  line?: number;
  col?: number;
  source?: string;
  /** the latest request's message */
  message: string;
  count: number;
  /** epoch milliseconds of the first and the latest request in the journal */
  firstSeen: number;
  lastSeen: number;
  /** the latest request's serial */
  latest: number;
  /** serials of the requests, newest first (the newest GROUP_SERIALS of them) */
  serials: number[];
}

export const GROUP_SERIALS = 50;
