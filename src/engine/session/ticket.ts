/**
 * What a request holds of its session while it runs (`SessionManager.open` makes it): the ticket,
 * how the request ended, and the trace the journal records.
 */
import type { NamespaceChange, SavePoint } from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';
import type { SessionInput, SessionResult } from './result.js';

export type FinishOutcome =
  | { ok: true; session?: SessionResult }
  /** the servlet raised, the worker crashed or timed out; `session` (previews) if it reported one */
  | { ok: false; session?: SessionResult };

export type SessionOutcome =
  | 'committed'
  | 'rolled_back'
  | 'partially_committed'
  | 'read_only'
  | 'preview';

/** What the journal records of a request's session. */
export interface SessionTrace {
  sessionId: string | null;
  outcome: SessionOutcome;
  /** committed changes (for a dry run: the changes it would have made) */
  changes: NamespaceChange[];
  saves: SavePoint[];
  /** a failed request's changes after the last save, when the worker reported them */
  discarded?: NamespaceChange[];
  /** pickles to restore recorded states: the namespace before the request and after it */
  pickles: Map<string, { before?: Buffer | null; after?: Buffer | null }>;
}

/** A whole session as values: what a dry run leaves behind, and what a later one may run against. */
export interface SessionState {
  id: string;
  ns: Map<string, { pickle: Buffer; preview: PreviewValue }>;
}

export interface FinishResult {
  setCookie?: string[];
  trace: SessionTrace;
  /**
   * a dry run that changed its session: the state it would have left (null: it ended the
   * session). Nothing of it was stored; Studio's preview keeps it for the frame's next request.
   */
  dryState?: SessionState | null;
}

/**
 * Where a request that holds (or awaits) a stored session stands in that session's queue: the
 * next request may be queued directly behind it (`SessionManager.follow`).
 */
export interface SessionPlace {
  readonly sessionId: string;
  /** compared by identity */
  readonly turn: object;
}

/**
 * A request queued directly behind another of its session (`SessionManager.follow`): its place
 * at once, its ticket when the one before it has finished.
 */
export interface FollowingTurn {
  readonly place: SessionPlace;
  /** rejects with a LockTimeoutError when the session stays busy past LockTimeout plus a grace */
  readonly ticket: Promise<SessionTicket>;
  /** epoch ms: LockTimeout; a worker starts the request no later than this, or not at all */
  readonly deadline: number;
}

export interface SessionTicket {
  /** the session to send with the request, or null (none yet) */
  readonly session: SessionInput | null;
  readonly lockWaitMs: number;
  /** it waited in this process behind another request of its session, others may wait behind it */
  readonly queued: boolean;
  readonly dry: boolean;
  /** holds a stored session under the lock (not a dry run): others may follow it */
  readonly place: SessionPlace | null;
  /**
   * It follows the request before it (`SessionManager.follow`), whose ticket handed on the
   * session exactly as it left it: the worker's own copy of that session is this state.
   */
  readonly continued: boolean;
  /** `session.save()`: commit now (in a dry run: record the save point, commit nothing) */
  save(s: SessionResult): Promise<void>;
  /** Ends the request's hold on the session. Call exactly once, also after errors. */
  finish(outcome: FinishOutcome): Promise<FinishResult>;
  /**
   * `finish` without a promise, when there is nothing to store: no changes to commit and no
   * expiry to slide (a page that reads its session, or uses none). Null when there is: the
   * ticket is still open, call `finish`.
   */
  finishAtOnce(outcome: FinishOutcome): FinishResult | null;
}
