/**
 * The worker protocol: every message that crosses the pipes between Node and a CPython worker.
 * Mirrored by src/engine/python/pse/_protocol.py — change both together.
 *
 * Framing (see framing.ts): u32le length, u32le header length, JSON header, blobs.
 * A field typed `Blob` holds an index into the frame's blobs; binary data never goes through JSON.
 */

import type { LocatedError, TraceFrame } from '../../common/types/located.js';
import type { ScopeSnapshot } from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';
import type { LineMapEntry, LineMapText } from '../template/linemap.js';

/** Index of a blob in the frame that carries the header. */
export type Blob = number;

export type { LocatedError };

// ---------------------------------------------------------------- Node → Python

export interface InitMsg {
  t: 'init';
  worker: number;
  appRoot: string;
  config: WorkerConfig;
}

/** What a worker needs of pse.conf (already validated by Node). */
export interface WorkerConfig {
  path: string[]; // [Main] Path, absolute
  includePath: string[]; // [Main] IncludePath, absolute
  pluginPath: string; // absolute
  tagModules: string[];
  autoEscape: boolean;
  memoryCacheSize: number;
  maxBuffer: number;
  /** bytes the worker may allocate (RLIMIT_DATA); 0 = no limit */
  workerMemory: number;
  showTracebacks: boolean;
  exceptionHook: string | null;
  /** `[plugins.<name>]` sections as written: option → {value, line}. */
  plugins: Record<string, Record<string, { value: string; line: number }>>;
  /** the pse.conf path, for messages about plugin options */
  confFile: string;
  /** cookieExpires: minutes (0 = browser session); the worker writes the cookie of a streamed page */
  session: { cookieName: string; cookieSecure: boolean; cookieExpires?: number };
  version: string;
}

export type FormValue =
  | string
  | { filename: string; type: string; file?: string; blob?: Blob; size: number };

export interface SessionIn {
  id: string;
  /** namespace name → pickle blob ('' is the standard dictionary) */
  ns: Record<string, Blob>;
  /** namespaces too big to send unasked: the worker fetches one (`call ns`) when a page uses it */
  lazy?: string[];
}

export interface ReqMsg {
  t: 'req';
  id: number;
  /** absolute path of the servlet's .pt */
  servlet: string;
  /**
   * Studio preview: unsaved text, used instead of the files and never cached. `templates` and
   * `modules` (absolute path → compiled template / code) count for every file the request loads,
   * includes and calls too; `pt` / `py` are the servlet's own (older form).
   */
  override?: {
    pt?: CompiledSource;
    py?: string;
    templates?: Record<string, CompiledSource>;
    modules?: Record<string, string>;
  };
  method: string;
  url: string; // path + query as received
  path: string; // decoded URL path
  /** absent: no query string */
  query?: string;
  headers: [string, string][];
  remote: [string, number];
  local: [string, number];
  /** parsed urlencoded / multipart fields, in order; repeated names repeat (absent: none) */
  form?: [string, FormValue][];
  /** raw body: a blob, or a spooled temporary file */
  body?: Blob | { file: string };
  session: SessionIn | null;
  /** dry run: `save()` and the end commit nothing (absent: not one) */
  dry?: true;
  /**
   * The journal records this request: the worker notes where each session key was written,
   * times the code module and the template, and sends the servlet's namespace (`ResMsg.timing`,
   * `scope`, `SessionOut.writes`). Never set under `--production`.
   */
  record?: boolean;
  /**
   * The next request of a session behind job `after` on the same worker: it runs with the
   * session as that job left it in the worker (`session` is null), or is answered `refused`
   * unstarted when the worker holds no such copy. Never started after `deadline`.
   */
  after?: number;
  /** with `after`: epoch ms (the session's LockTimeout) after which the worker refuses it */
  deadline?: number;
}

export interface CompiledSource {
  py: string;
  /** either form: the entries, or their text as the module writes them */
  map: LineMapText | LineMapEntry[];
  file: string;
}

export interface CheckMsg {
  t: 'check';
  id: number;
  sources: { name: string; code: string }[];
}

export interface AdminMsg {
  t: 'admin';
  id: number;
  op: 'set' | 'delete' | 'clear' | 'restore';
  /** the namespace's current pickle (absent: empty dict) */
  pickle?: Blob;
  key?: string; // Python literal of the key for set/delete
  literal?: string; // Python literal of the value for set
  /** restore: a pickle recorded in the journal */
  from?: Blob;
}

export interface ReplyMsg {
  t: 'reply';
  to: number;
  ok: boolean;
  error?: LocatedError | { message: string };
  source?: CompiledSource;
  /** to `ns`: the namespace's pickle */
  pickle?: Blob;
}

export interface StopMsg {
  t: 'stop';
}

/**
 * Give back these jobs if they have not started (the one before them runs long and another
 * worker is free). Answered with `released`, at once even while a job runs.
 */
export interface ReleaseMsg {
  t: 'release';
  ids: number[];
}

export type ToWorker = InitMsg | ReqMsg | CheckMsg | AdminMsg | ReplyMsg | StopMsg | ReleaseMsg;

// ---------------------------------------------------------------- Python → Node

export interface ReadyMsg {
  t: 'ready';
  pid: number;
  python: string;
  tags: string[];
  plugins: string[];
  issues: LocatedError[];
}

export interface FatalMsg {
  t: 'fatal';
  message: string;
  issues?: LocatedError[];
}

export interface BeatMsg {
  t: 'beat';
}

/** The jobs of a `release` that had not started and never will here (maybe none). */
export interface ReleasedMsg {
  t: 'released';
  ids: number[];
}

/**
 * A request's session as the worker reports it. Every field but `id` is left out at its default
 * (false, or empty): a session read sends its id alone.
 */
export interface SessionOut {
  id: string;
  /** created by this request (was not in the store) */
  created?: true;
  /** namespaces whose pickled bytes changed: name → pickle blob */
  changed?: Record<string, Blob>;
  /**
   * Previews of the namespaces that changed; in a failure's report, of every namespace the
   * request loaded (the journal compares them with the committed state).
   */
  previews?: Record<string, PreviewValue>;
  deleted?: string[];
  regenerated?: string; // the new id
  invalidated?: boolean;
  /** with `record`: namespace → key → [file, line] of its last write (template lines mapped) */
  writes?: Record<string, Record<string, [string, number]>>;
}

export interface SourceCall {
  t: 'call';
  cid: number;
  job: number;
  op: 'source';
  path: string;
}

export interface SaveCall {
  t: 'call';
  cid: number;
  job: number;
  op: 'save';
  session: SessionOut;
}

/** A namespace of the request's session that was not sent with it (`SessionIn.lazy`). */
export interface NamespaceCall {
  t: 'call';
  cid: number;
  job: number;
  op: 'ns';
  name: string;
}

export type CallMsg = SourceCall | SaveCall | NamespaceCall;

export interface ChunkMsg {
  t: 'chunk';
  job: number;
  head?: { status: number; headers: [string, string][] };
  data: Blob;
}

export interface LogMsg {
  t: 'log';
  job?: number;
  level: 'DEBUG' | 'INFO' | 'NOTICE' | 'WARNING' | 'ERROR';
  msg: string;
}

export interface ServletError {
  type: string;
  message: string;
  frames: TraceFrame[];
  text: string; // formatted traceback, template lines
  html?: string; // from ExceptionHook.html_traceback
}

export interface ResMsg {
  t: 'res';
  id: number;
  status: number;
  headers: [string, string][];
  body: Blob;
  /** chunks were sent: body holds only the rest (absent: none were) */
  streamed?: true;
  /** pse.cache: epoch seconds until which the output may be served from the cache */
  cacheUntil?: number;
  session?: SessionOut;
  /** the servlet raised: status is 500 (or ExceptionHook's) and the session is rolled back */
  error?: ServletError;
  /** number of save() calls that committed (absent: none) */
  saves?: number;
  /** with `record`: the worker's times */
  timing?: WorkerTiming;
  /** with `record`: the servlet's namespace at the end of its run */
  scope?: ScopeSnapshot;
  /**
   * A request sent `after` another that the worker did not start: it holds no copy of that
   * session (it never ran that job, or restarted since), or the deadline had passed. Nothing
   * ran; the other fields are empty.
   */
  refused?: true;
}

/**
 * Whole microseconds in the worker: the code module, the template, and the whole job from its
 * start to its answer. Integers: Python writes a float's shortest form with its slow exact
 * algorithm (three of them cost a recorded request ~9 % of the worker's instructions).
 */
export type WorkerTiming = [moduleUs: number, templateUs: number, runUs: number];

export interface DoneMsg {
  t: 'done';
  id: number;
  ok: boolean;
  error?: { message: string; line?: number; col?: number };
  /** check: syntax errors per source name, Python line/col */
  errors?: { name: string; line: number; col: number; message: string }[];
  /** admin: the new pickle and its preview */
  pickle?: Blob;
  preview?: PreviewValue;
}

export type FromWorker =
  | ReadyMsg
  | FatalMsg
  | BeatMsg
  | ReleasedMsg
  | CallMsg
  | ChunkMsg
  | LogMsg
  | ResMsg
  | DoneMsg;

/** Exit codes a worker uses on purpose (gunicorn's convention). */
export const EXIT_BOOT_FAILED = 3;
export const EXIT_PARENT_GONE = 4;
