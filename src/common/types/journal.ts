/**
 * Request-journal DTOs shared by the engine and PSE Studio. Plain data: no Node, no DOM.
 */
import type { PreviewValue } from './session.js';

export type JournalOutcome =
  /** the request succeeded and its session changes were committed */
  | 'committed'
  /** the request failed: its changes (after the last save) were discarded */
  | 'rolled_back'
  /** the request failed after one or more save() calls: only the saved part stayed */
  | 'partially_committed'
  /** the request changed no session data */
  | 'read_only'
  /** a Studio dry run: nothing was committed, by design */
  | 'preview'
  /** an admin change made from Studio (or the admin API) */
  | 'edited';

/** Top-level keys of a dictionary, by their preview text. */
export interface KeyDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface NamespaceChange {
  name: string;
  /** null: the namespace did not exist before */
  before: PreviewValue | null;
  /** null: the namespace was deleted */
  after: PreviewValue | null;
  diff: KeyDiff;
  /** version after the commit (absent when nothing was committed) */
  version?: number;
}

export interface SavePoint {
  /** milliseconds since the request started */
  at: number;
  changes: NamespaceChange[];
}

export interface RollbackCause {
  kind: 'exception' | 'crash' | 'timeout' | 'lock_timeout' | 'error';
  type?: string;
  message: string;
  /** the template or code line that raised */
  file?: string;
  line?: number;
  col?: number;
  source?: string;
}

export interface RecordedRequest {
  headers: [string, string][];
  cookies: Record<string, string>;
  form: [string, string][];
  /** request body as text, capped (see bodyCap); absent for no body */
  body?: string;
  bodyTruncated?: boolean;
}

export interface RecordedResponse {
  status: number;
  headers: [string, string][];
  body?: string;
  bodyTruncated?: boolean;
}

/** A `server.log` line the servlet wrote during the request (those its LogLevel let through). */
export interface RequestLogLine {
  /** milliseconds since the request started */
  at: number;
  level: string;
  msg: string;
}

/** A session value the journal did not keep (too large): what identifies it. */
export interface PickleDigest {
  /** the namespace */
  name: string;
  phase: 'before' | 'after';
  /** bytes of its pickle */
  size: number;
  /** SHA-256 of its pickle, hex */
  sha256: string;
}

/**
 * Where a request wrote a session key: the template (.pt) or code-module (.py) line of the
 * assignment (`d[k] = v`, `update`, `setdefault`), recorded while the journal is on.
 */
export interface KeyWrite {
  /** the namespace ('' is the standard dictionary) */
  name: string;
  /** the key as its preview names it (a str key itself, else its repr) */
  key: string;
  file: string;
  line: number;
}

/** The servlet's namespace at the end of its run (the variables its template saw). */
export interface ScopeSnapshot {
  value: PreviewValue;
  /** part of it was left out (items, characters, depth or the preview's node budget) */
  capped: boolean;
}

/** Where a request's time went, in milliseconds (recorded while the journal is on). */
export interface RequestTimings {
  /** waiting for the session's lock */
  lockWaitMs: number;
  /** the request that held the session when this one began to wait (this process's) */
  lockBehind?: { serial: number; path: string };
  /** queued for a worker (the pool's queue and the worker's pipe) */
  workerWaitMs: number;
  /** the servlet's code module (.py) */
  moduleMs: number;
  /** the template (.pt), its includes and calls */
  templateMs: number;
  /** committing the session */
  commitMs: number;
}

/** The engine process that served a request (or made an edit): on a cluster, one of several. */
export interface ServedBy {
  /** os.hostname() of its machine */
  host: string;
  pid: number;
  /** its number under `pse serve --instances N` (1…N); 0 for a process on its own (Studio, `pse serve`) */
  instance: number;
}

export interface JournalEntry {
  serial: number;
  /** epoch milliseconds when the request started */
  time: number;
  method: string;
  path: string;
  query: string;
  status: number;
  durationMs: number;
  worker: number | null;
  sessionId: string | null;
  lockWaitMs: number;
  outcome: JournalOutcome;
  /** namespaces whose committed state changed (for `edited`: the edited namespaces) */
  changes: NamespaceChange[];
  saves: SavePoint[];
  cause?: RollbackCause;
  /** what a failed request would have changed (when the worker reported it) */
  discarded?: NamespaceChange[];
  request?: RecordedRequest;
  response?: RecordedResponse;
  /** namespaces whose pickles were recorded: restorable as 'before' / 'after' */
  restorable: { name: string; before: boolean; after: boolean }[];
  /** values too large to keep (`[Studio] JournalMaxBytes`): their size and digest instead */
  tooLarge?: PickleDigest[];
  /** for `edited`: what the admin did */
  edit?: string;
  /** the `server.log` lines written during the request, in order (capped) */
  logs?: RequestLogLine[];
  /** the session keys the request wrote, with the line of each write */
  writes?: KeyWrite[];
  /** the servlet's namespace at the end of its run */
  scope?: ScopeSnapshot;
  timings?: RequestTimings;
  /** the process that served it (absent in entries written before PSE recorded it) */
  servedBy?: ServedBy;
}

export interface JournalQuery {
  /** entries with serial < before (paging backwards); default: the newest */
  before?: number;
  /** default 100, at most 1000 */
  limit?: number;
  sessionId?: string;
  outcome?: JournalOutcome;
  /** substring of the path */
  path?: string;
}

/** One value a session key held: the request (or Studio edit) that set it, and where. */
export interface KeyEvent {
  serial: number;
  time: number;
  method: string;
  path: string;
  outcome: JournalOutcome;
  /** the value it set (its preview); null: the request removed the key */
  value: PreviewValue | null;
  /** the template or code-module line of the write, when the worker recorded it */
  file?: string;
  line?: number;
}

/** A key of a namespace now: who wrote it last, and each value it held in the journal. */
export interface KeyBlame {
  key: string;
  /** the latest event; null: no request in the kept journal set it (older than the journal) */
  last: KeyEvent | null;
  /** newest first, capped (see `historyCapped`) */
  history: KeyEvent[];
  /** older events were left out */
  historyCapped?: boolean;
}

export interface NamespaceBlame {
  name: string;
  keys: KeyBlame[];
}
