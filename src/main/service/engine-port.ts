/**
 * What Studio needs of the engine, in Studio's own terms. `engine-adapter.ts` fits the real
 * `Engine` (src/engine/index.ts) to it; nothing else in src/main touches the engine's types, so
 * a change there is absorbed in one file.
 */
import type { InspectorEngine } from './inspector-service.js';
import type {
  Disposable,
  LocatedProblem,
  NamespaceChange,
  PreviewError,
  SessionSummary,
} from '../../common/api.js';
import type { PreviewValue } from '../../common/types/session.js';

/** A whole session as values: what a dry run left behind, never stored. */
export interface EngineSessionState {
  id: string;
  ns: Map<string, { pickle: Buffer; preview: PreviewValue }>;
}

export type EngineSessionChoice =
  | { kind: 'none' }
  | { kind: 'fresh' }
  | { kind: 'existing'; id: string }
  /** the preview frame's own session: the state an earlier dry run of the frame left */
  | { kind: 'state'; state: EngineSessionState };

export interface EngineRequest {
  method: string;
  /** path + query */
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** set for Studio preview: a dry run with unsaved text by absolute path */
  preview?: { overrides: Record<string, string>; session: EngineSessionChoice };
}

export interface EngineResult {
  status: number;
  headers: [string, string][];
  body: Buffer;
  /** the servlet raised; frames carry absolute paths */
  error?: PreviewError;
  /** the servlet did not compile; absolute paths */
  problems: LocatedProblem[];
  /** dry run: what the request would have committed */
  pending: NamespaceChange[];
  sessionId?: string;
  /** dry run that changed its session: the state it would have left (null: it ended it) */
  sessionState?: EngineSessionState | null;
}

export interface EngineLogLine {
  kind: 'access' | 'error' | 'info';
  text: string;
  /** the engine's id of the request the line is about */
  request?: number;
  /** the line is about a Studio preview (a dry run), not real traffic */
  preview?: boolean;
}

export interface StudioEngine {
  /** the engine's session service, journal and in-process requests (for the inspector) */
  readonly inspectorEngine?: InspectorEngine;
  readonly appRoot: string;
  readonly production: boolean;
  handle(req: EngineRequest): Promise<EngineResult>;
  /** template + Python syntax errors of unsaved text; `file` absolute, results absolute */
  compileCheck(file: string, text: string): Promise<LocatedProblem[]>;
  listen(port: number, host: string): Promise<{ url: string; port: number }>;
  unlisten(): Promise<void>;
  listSessions(): Promise<SessionSummary[]>;
  onLog(listener: (line: EngineLogLine) => void): Disposable;
  close(): Promise<void>;
}
