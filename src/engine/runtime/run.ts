/**
 * A servlet run as the worker pool takes it (`dispatch`) and answers it: the input, the hooks
 * called while it runs, and the result or the failure.
 */
import type { ScopeSnapshot } from '../../common/types/journal.js';
import type { LogMsg, ReqMsg, ServletError } from './protocol.js';
import type { WorkerFailure } from './job.js';
import type { SessionInput, SessionResult } from '../session/result.js';

export interface RunInput {
  servlet: string;
  override?: ReqMsg['override'];
  method: string;
  url: string;
  path: string;
  query: string;
  headers: [string, string][];
  remote: [string, number];
  local: [string, number];
  form: [
    string,
    string | { filename: string; type: string; size: number; file?: string; data?: Buffer },
  ][];
  body?: Buffer | { file: string };
  session: SessionInput | null;
  dry: boolean;
  /** the journal records the run (see ReqMsg.record) */
  record?: boolean;
  /** requests of its session wait behind it (see Job.urgent) */
  urgent?: boolean;
}

/** The request a log line is about: its id (its record's) and whether it is a Studio preview. */
export interface LogSubject {
  request: number;
  preview: boolean;
}

export interface RunHooks {
  /** the request the run's `server.log` lines are about */
  readonly subject?: LogSubject;
  /** streaming after flush(): the first chunk carries status and headers */
  onChunk?(head: { status: number; headers: [string, string][] } | undefined, data: Buffer): void;
  /** session.save(): commit now; a rejection is sent to Python as an error reply */
  onSave?(s: SessionResult): Promise<void>;
  onLog?(level: LogMsg['level'], msg: string): void;
}

/** A dispatched run, as its caller holds it: to follow it (`dispatchAfter`) or withdraw it. */
export interface RunHandle {
  readonly id: number;
}

/** How `dispatch` reports the end of a run: the result, or why there is none. */
export interface RunSink {
  onResult(r: RunResult): void;
  onFailure(e: WorkerFailure): void;
  /**
   * A run sent `after` another (`dispatchAfter`) that its worker did not start: nothing ran; run
   * it the usual way. Without this hook a refusal is a failure.
   */
  onRefused?(): void;
}

export interface RunResult {
  status: number;
  headers: [string, string][];
  body: Buffer;
  /** chunks went to onChunk: `body` is only the rest */
  streamed: boolean;
  cacheUntil?: number;
  session?: SessionResult;
  error?: ServletError;
  saves: number;
  worker: number;
  /** with `record` */
  timing?: RunTiming;
  scope?: ScopeSnapshot;
}

/** A recorded run's times in the worker, in milliseconds. */
export interface RunTiming {
  /** the code module */
  module: number;
  /** the template */
  template: number;
  /** the whole job, from its start in the worker to its answer */
  run: number;
}
