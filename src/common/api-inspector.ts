/**
 * The inspector part of the Studio API: sessions, the request log and session time
 * travel. `StudioApi` extends `InspectorApi`; `INSPECTOR_ARGS` and `INSPECTOR_EVENTS` are merged
 * into API_ARGS and the event list. Plain data, no Node, no DOM.
 */
import type { Event } from './api.js';
import type { Schema } from './schema.js';
import type {
  JournalEntry,
  JournalOutcome,
  KeyBlame,
  KeyEvent,
  NamespaceBlame,
  NamespaceChange,
  RollbackCause,
  SavePoint,
} from './types/journal.js';
import type { Page, PreviewValue, SessionSummary, SessionView } from './types/session.js';

export type {
  JournalEntry,
  JournalOutcome,
  KeyBlame,
  KeyEvent,
  NamespaceBlame,
  Page,
  PreviewValue,
  SessionSummary,
  SessionView,
};

// ------------------------------------------------------------------------------------ sessions

export interface InspectorSessionQuery {
  offset: number;
  limit: number;
  /** one search box: matches the id, a namespace name, a key, or value text */
  search: string;
}

export interface InspectorSessionRow extends SessionSummary {
  /** bytes of all the session's pickles */
  size: number;
}

/** One edit of a namespace. Keys and values are Python literals (`'name'`, `{'a': [1]}`). */
export type PendingOp =
  | { op: 'set'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'clear' }
  | { op: 'deleteNamespace' }
  /** put back the namespace as journal entry `serial` recorded it (`phase` the request) */
  | { op: 'restore'; serial: number; phase: 'before' | 'after' };

/** The edits of one namespace, based on the namespace version they were made against. */
export interface NamespaceEdit {
  namespace: string;
  /** NamespaceView.version when the edit began (0: the namespace did not exist) */
  baseVersion: number;
  ops: PendingOp[];
}

/** A bad edit: which op, and where in which literal. Nothing was written. */
export interface EditProblem {
  namespace: string;
  /** index into `ops` */
  op: number;
  message: string;
  field?: 'key' | 'value';
  line?: number;
  col?: number;
}

/**
 * The server changed a namespace since the edit began. Studio shows it beside the staged change
 * (whose `before` is the value the edit was based on and whose `after` is yours).
 */
export interface EditConflict {
  namespace: string;
  baseVersion: number;
  /** 0 when the namespace no longer exists */
  serverVersion: number;
  server: PreviewValue | null;
}

export type StageResult =
  | { ok: true; change: NamespaceChange; baseVersion: number }
  | { ok: false; problem: EditProblem }
  | { ok: false; conflict: EditConflict };

export type ApplyResult =
  | { ok: true; session: SessionView; changes: NamespaceChange[]; serial: number | null }
  | { ok: false; problem: EditProblem }
  | { ok: false; conflicts: EditConflict[] };

// ------------------------------------------------------------------------------- request log

export interface RequestLogQuery {
  /** entries with serial < before (older pages); 0: the newest */
  before: number;
  limit: number;
  /** substring of the path ('' = any) */
  path: string;
  /** '' any, '200' exact, '4xx' a class */
  status: string;
  outcome: JournalOutcome | '';
  sessionId: string;
  /** Studio's own dry runs (outcome 'preview'): hidden, so that real traffic is never buried */
  previews: 'shown' | 'hidden';
}

export interface RequestStarted {
  serial: number;
  time: number;
  method: string;
  path: string;
  query: string;
}

export type ReplayMode =
  /** send it again now, for real, with its recorded cookies (it is journaled as a new request) */
  | 'again'
  /** a dry run against the session as it stood before the request; nothing is committed */
  | 'before';

/** What a request did, comparable between the original and a replay. */
export interface RequestOutcome {
  status: number;
  /** for a dry run: the outcome it would have had */
  outcome: JournalOutcome;
  changes: NamespaceChange[];
  discarded: NamespaceChange[];
  saves: SavePoint[];
  cause?: RollbackCause;
  body: string;
}

export interface ReplayResult {
  mode: ReplayMode;
  original: RequestOutcome;
  replay: RequestOutcome;
  /** the journal entry the replay made */
  serial: number | null;
  /** empty when the replay reproduced the original */
  differences: string[];
}

// ---------------------------------------------------------------------------- time travel

export interface TimelineTick {
  serial: number;
  time: number;
  outcome: JournalOutcome;
  method: string;
  path: string;
  status: number;
  /** for `edited`: what the admin did */
  edit?: string;
  namespaces: string[];
}

/** A namespace as it stood after a tick. */
export interface NamespaceAt {
  name: string;
  /** null: it did not exist then */
  preview: PreviewValue | null;
  /** how to stage putting it back; null when the journal kept no pickle for it */
  restore: PendingOp | null;
  /** the state is today's: nothing in the kept journal changed it since */
  unchanged: boolean;
}

export interface SessionStateAt {
  sessionId: string;
  serial: number;
  namespaces: NamespaceAt[];
}

export interface SessionChanged {
  id: string;
  version: number | null;
  namespaces: string[];
  renamedTo?: string;
  by: 'request' | 'admin' | 'sweep';
}

// ------------------------------------------------------------------------------------- API

export interface InspectorApi {
  inspectorSessions(q: InspectorSessionQuery): Promise<Page<InspectorSessionRow>>;
  inspectorSession(id: string): Promise<SessionView>;
  /** The change `ops` would make to the namespace now; validates literals; writes nothing. */
  stageEdit(sessionId: string, edit: NamespaceEdit): Promise<StageResult>;
  /** Applies all edits in one transaction, or none of them (bad literal, conflict). */
  applyEdits(sessionId: string, edits: NamespaceEdit[]): Promise<ApplyResult>;
  createSession(): Promise<SessionView>;
  expireSession(id: string, version: number): Promise<void>;
  deleteSession(id: string, version: number): Promise<void>;

  requestLog(q: RequestLogQuery): Promise<JournalEntry[]>;
  requestEntry(serial: number): Promise<JournalEntry>;
  clearRequestLog(): Promise<void>;
  replayRequest(serial: number, mode: ReplayMode): Promise<ReplayResult>;

  sessionTimeline(id: string): Promise<TimelineTick[]>;
  sessionStateAt(id: string, serial: number): Promise<SessionStateAt>;
  /**
   * Provenance of every key the session holds now: the request that last wrote it (with the
   * template or code-module line, where recorded) and each value it held in the journal.
   */
  sessionBlame(id: string): Promise<NamespaceBlame[]>;

  onRequestStarted: Event<RequestStarted>;
  onRequestFinished: Event<JournalEntry>;
  onSessionChanged: Event<SessionChanged>;
}

type InspectorEventName = {
  [K in keyof InspectorApi]: K extends `on${string}` ? K : never;
}[keyof InspectorApi];
type InspectorCommandName = Exclude<keyof InspectorApi, InspectorEventName>;

// --------------------------------------------------------------------------------- schemas

const id: Schema = { t: 'string', max: 256, min: 1 };
const serial: Schema = { t: 'int', min: 1, max: Number.MAX_SAFE_INTEGER };
const version: Schema = { t: 'int', min: 0, max: Number.MAX_SAFE_INTEGER };
const literal: Schema = { t: 'string', max: 1024 * 1024, min: 1 };
const namespace: Schema = { t: 'string', max: 256 };

const op: Schema = {
  t: 'union',
  tag: 'op',
  cases: {
    set: {
      t: 'object',
      fields: { op: { t: 'enum', values: ['set'] }, key: literal, value: literal },
    },
    delete: { t: 'object', fields: { op: { t: 'enum', values: ['delete'] }, key: literal } },
    clear: { t: 'object', fields: { op: { t: 'enum', values: ['clear'] } } },
    deleteNamespace: { t: 'object', fields: { op: { t: 'enum', values: ['deleteNamespace'] } } },
    restore: {
      t: 'object',
      fields: {
        op: { t: 'enum', values: ['restore'] },
        serial,
        phase: { t: 'enum', values: ['before', 'after'] },
      },
    },
  },
};

const edit: Schema = {
  t: 'object',
  fields: { namespace, baseVersion: version, ops: { t: 'array', of: op, max: 1000 } },
};

const OUTCOMES: readonly (JournalOutcome | '')[] = [
  '',
  'committed',
  'rolled_back',
  'partially_committed',
  'read_only',
  'preview',
  'edited',
];

export const INSPECTOR_ARGS: { readonly [K in InspectorCommandName]: readonly Schema[] } = {
  inspectorSessions: [
    {
      t: 'object',
      fields: {
        offset: { t: 'int', min: 0, max: 1_000_000_000 },
        limit: { t: 'int', min: 1, max: 500 },
        search: { t: 'string', max: 1024 },
      },
    },
  ],
  inspectorSession: [id],
  stageEdit: [id, edit],
  applyEdits: [id, { t: 'array', of: edit, max: 100 }],
  createSession: [],
  expireSession: [id, version],
  deleteSession: [id, version],
  requestLog: [
    {
      t: 'object',
      fields: {
        before: { t: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
        limit: { t: 'int', min: 1, max: 1000 },
        path: { t: 'string', max: 4096 },
        status: { t: 'string', max: 3 },
        outcome: { t: 'enum', values: OUTCOMES },
        sessionId: { t: 'string', max: 256 },
        previews: { t: 'enum', values: ['shown', 'hidden'] },
      },
    },
  ],
  requestEntry: [serial],
  clearRequestLog: [],
  replayRequest: [serial, { t: 'enum', values: ['again', 'before'] }],
  sessionTimeline: [id],
  sessionStateAt: [id, serial],
  sessionBlame: [id],
};

export const INSPECTOR_EVENTS: { readonly [K in InspectorEventName]: true } = {
  onRequestStarted: true,
  onRequestFinished: true,
  onSessionChanged: true,
};

/** Reads `RequestLogQuery.status` ('', '404', '4xx'); null when it is neither. */
export function parseStatusFilter(s: string): ((status: number) => boolean) | null {
  if (s === '') return () => true;
  if (/^[1-5]xx$/i.test(s)) {
    const cls = Number(s[0]);
    return (status) => Math.floor(status / 100) === cls;
  }
  if (/^[1-5]\d\d$/.test(s)) {
    const n = Number(s);
    return (status) => status === n;
  }
  return null;
}

/** The outcome a dry run would have had, had it been committed (the engine calls it 'preview'). */
export function wouldBeOutcome(e: {
  outcome: JournalOutcome;
  cause?: RollbackCause;
  saves: SavePoint[];
  changes: NamespaceChange[];
}): JournalOutcome {
  if (e.outcome !== 'preview') return e.outcome;
  const saved = e.saves.some((s) => s.changes.length > 0);
  if (e.cause) return saved ? 'partially_committed' : 'rolled_back';
  return e.changes.length > 0 ? 'committed' : 'read_only';
}
