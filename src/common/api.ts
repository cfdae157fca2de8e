/**
 * The Studio API, declared once. `src/main/service` implements it on an Engine; the renderer
 * consumes it through `toService` (src/common/rpc.ts) over Electron IPC or a WebSocket and cannot
 * tell the two apart. Methods return promises; events are `on<Name>` properties.
 * Everything here is plain data (JSON-safe): it crosses a process boundary.
 */
import type { LocatedError, TraceFrame } from './types/located.js';
import type { InspectorApi } from './api-inspector.js';
import type { TestingApi } from './api-testing.js';
import type { ExceptionsApi } from './api-exceptions.js';
import type { NamespaceChange } from './types/journal.js';
import type { SessionSummary } from './types/session.js';

export type { NamespaceChange, SessionSummary };

/** Unsubscribes a listener. */
export interface Disposable {
  dispose(): void;
}

/** An event: call it with a listener, dispose the result to stop listening. */
export type Event<T> = (listener: (e: T) => void) => Disposable;

/** An error with its place in a file (template, code module, pse.conf). Paths are app-relative. */
export type LocatedProblem = LocatedError;

export interface WorkspaceInfo {
  /** absolute path of the application folder (shown, never sent back as a path) */
  root: string;
  name: string;
  /** true when the engine is in production mode */
  production: boolean;
}

export interface TreeEntry {
  /** app-relative, '/'-separated */
  path: string;
  kind: 'file' | 'dir';
}

export interface FileContent {
  path: string;
  text: string;
  mtimeMs: number;
}

export interface FileChange {
  kind: 'add' | 'change' | 'unlink' | 'addDir' | 'unlinkDir';
  path: string;
}

export type PreviewSessionChoice =
  | { kind: 'none' }
  | { kind: 'fresh' }
  | { kind: 'existing'; id: string };

export interface PreviewRequest {
  /** the active file: a servlet's `.pt`, or its code module `.py` */
  path: string;
  /** unsaved editor text by app-relative path (the servlet's template and code module) */
  overrides: Record<string, string>;
  method: 'GET' | 'POST';
  /** query string without '?' */
  query: string;
  /** urlencoded form fields for POST, in order */
  form: [string, string][];
  cookies: Record<string, string>;
  session: PreviewSessionChoice;
}

export interface PreviewError {
  type: string;
  message: string;
  frames: TraceFrame[];
  text: string;
}

export interface PreviewResult {
  status: number;
  headers: [string, string][];
  /** URL of the rendered document on the preview origin (sandboxed iframe src) */
  documentUrl: string;
  /** the response body as text, for tests and the "source" view */
  body: string;
  error?: PreviewError;
  /** compile errors of the servlet (nothing ran) */
  problems: LocatedProblem[];
  /** what the page would have changed in the session: never committed */
  pending: NamespaceChange[];
  sessionId?: string;
  ms: number;
}

/**
 * A request the previewed page made itself (a link followed, a form posted): run as a dry run
 * against the preview's session, like the preview, and never committed.
 */
export interface PreviewNavigation {
  method: string;
  /** path + query on the preview origin */
  url: string;
  result: PreviewResult;
}

export interface ServerStatus {
  running: boolean;
  port?: number;
  url?: string;
}

export interface LogLine {
  time: number;
  kind: 'access' | 'error' | 'info';
  text: string;
  /** the request the line is about (its access and error lines, its `server.log` lines) */
  request?: number;
  /** about a Studio preview (a dry run): the console shows these on their own channel */
  preview?: boolean;
}

export interface StudioApi extends InspectorApi, TestingApi, ExceptionsApi {
  getWorkspace(): Promise<WorkspaceInfo>;
  listTree(): Promise<TreeEntry[]>;
  readFile(path: string): Promise<FileContent>;
  writeFile(path: string, text: string): Promise<FileContent>;
  createFile(path: string, kind: 'file' | 'dir'): Promise<void>;
  renamePath(from: string, to: string): Promise<void>;
  deletePath(path: string): Promise<void>;
  /** template and Python syntax errors of unsaved text */
  compileCheck(path: string, text: string): Promise<LocatedProblem[]>;
  /** a dry run of the servlet of `path` through the embedded engine */
  preview(req: PreviewRequest): Promise<PreviewResult>;
  listSessions(): Promise<SessionSummary[]>;
  serverStatus(): Promise<ServerStatus>;
  startServer(port: number): Promise<ServerStatus>;
  stopServer(): Promise<ServerStatus>;

  onFileChange: Event<FileChange>;
  onLog: Event<LogLine>;
  onServerStatus: Event<ServerStatus>;
  onPreviewNavigation: Event<PreviewNavigation>;
}

/** Names of StudioApi's events (`on<Name>`). */
export type EventName = {
  [K in keyof StudioApi]: K extends `on${string}` ? K : never;
}[keyof StudioApi];

/** Names of StudioApi's calls. */
export type CommandName = Exclude<keyof StudioApi, EventName>;
