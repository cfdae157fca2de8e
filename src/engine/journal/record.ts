/**
 * Builds journal drafts from what a request produced: its session trace, its error, and capped
 * copies of the request and response (for Studio's replay).
 */
import { parseCookie } from 'cookie';
import type {
  JournalEntry,
  JournalOutcome,
  KeyWrite,
  NamespaceChange,
  RecordedRequest,
  RecordedResponse,
  RequestLogLine,
  RequestTimings,
  RollbackCause,
  ScopeSnapshot,
} from '../../common/types/journal.js';
import type { FormValue, ServletError } from '../runtime/protocol.js';
import type { SessionTrace } from '../session/ticket.js';
import type { JournalDraft, RequestJournal } from './journal.js';

/** Bodies are recorded up to this many bytes (request and response each). */
export const BODY_CAP = 64 * 1024;
/** `server.log` lines kept per request, and characters kept per line. */
export const LOG_LINES_CAP = 200;
export const LOG_LINE_CHARS = 4000;

/** Adds a `server.log` line to a request's lines, within the caps (the last line says so). */
export function addLogLine(lines: RequestLogLine[], at: number, level: string, msg: string): void {
  if (lines.length > LOG_LINES_CAP) return;
  if (lines.length === LOG_LINES_CAP) {
    lines.push({ at, level: 'NOTICE', msg: `… more lines; the journal keeps ${LOG_LINES_CAP}` });
    return;
  }
  lines.push({
    at,
    level,
    msg: msg.length > LOG_LINE_CHARS ? `${msg.slice(0, LOG_LINE_CHARS)}…` : msg,
  });
}

/** What the request path knows of a finished request, as its journal entry says it. */
export type RequestFacts = Pick<
  JournalEntry,
  'time' | 'method' | 'path' | 'query' | 'status' | 'durationMs' | 'worker' | 'lockWaitMs'
>;

export type Failure =
  | { kind: 'exception'; error: ServletError }
  | { kind: 'crash' | 'timeout' | 'lock_timeout' | 'error'; message: string };

export function requestDraft(
  facts: RequestFacts,
  trace: SessionTrace | null,
  failure: Failure | null,
  io?: {
    request?: RecordedRequest;
    response?: RecordedResponse;
    logs?: RequestLogLine[];
    writes?: KeyWrite[];
    scope?: ScopeSnapshot;
    timings?: RequestTimings;
  },
): JournalDraft {
  const outcome: JournalOutcome = trace?.outcome ?? (failure ? 'rolled_back' : 'read_only');
  // Built field by field: one spread per optional part copied every part again (a drafted
  // entry is made per journaled request).
  const d: JournalDraft = {
    time: facts.time,
    method: facts.method,
    path: facts.path,
    query: facts.query,
    status: facts.status,
    durationMs: facts.durationMs,
    worker: facts.worker,
    lockWaitMs: facts.lockWaitMs,
    sessionId: trace?.sessionId ?? null,
    outcome,
    changes: trace?.changes ?? [],
    saves: trace?.saves ?? [],
  };
  if (failure) d.cause = causeOf(failure);
  if (trace?.discarded) d.discarded = trace.discarded;
  if (io?.request) d.request = io.request;
  if (io?.response) d.response = io.response;
  if (io?.logs?.length) d.logs = io.logs;
  if (io?.writes) d.writes = io.writes;
  if (io?.scope) d.scope = io.scope;
  if (io?.timings) d.timings = io.timings;
  if (trace) d.pickles = trace.pickles;
  return d;
}

/** The cause of a rollback: for an exception, the innermost template or code-module line. */
export function causeOf(f: Failure): RollbackCause {
  if (f.kind !== 'exception') return { kind: f.kind, message: f.message };
  const e = f.error;
  const frames = e.frames ?? [];
  const own =
    [...frames].reverse().find((fr) => fr.kind === 'template' || fr.kind === 'module') ??
    frames.at(-1);
  return {
    kind: 'exception',
    type: e.type,
    message: e.message,
    ...(own
      ? {
          file: own.file,
          line: own.line,
          ...(own.col !== undefined ? { col: own.col } : {}),
          ...(own.source !== undefined ? { source: own.source } : {}),
        }
      : {}),
  };
}

export function recordRequest(
  headers: [string, string][],
  form: [string, string | Pick<FormValue & object, 'filename' | 'type' | 'size'>][],
  body?: Buffer,
  cap = BODY_CAP,
): RecordedRequest {
  const cookieHeader = headers
    .filter(([k]) => k.toLowerCase() === 'cookie')
    .map(([, v]) => v)
    .join('; ');
  let cookies: Record<string, string> = {};
  try {
    cookies = Object.fromEntries(
      Object.entries(parseCookie(cookieHeader)).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    );
  } catch {
    cookies = {};
  }
  return {
    headers,
    cookies,
    form: form.map(([k, v]) => [
      k,
      typeof v === 'string' ? v : `<upload ${v.filename} (${v.type}, ${v.size} bytes)>`,
    ]),
    ...capBody(body, cap),
  };
}

export function recordResponse(
  status: number,
  headers: [string, string][],
  body?: Buffer,
  cap = BODY_CAP,
): RecordedResponse {
  return { status, headers, ...capBody(body, cap) };
}

function capBody(
  body: Buffer | undefined,
  cap: number,
): { body?: string; bodyTruncated?: boolean } {
  if (!body || body.length === 0) return {};
  if (body.length <= cap) return { body: body.toString('utf8') };
  return { body: body.subarray(0, cap).toString('utf8'), bodyTruncated: true };
}

/** Journals a change made through the admin API or Studio's inspector (outcome `edited`). */
export function recordEdit(
  journal: RequestJournal,
  sessionId: string,
  edit: string,
  changes: NamespaceChange[],
  pickles: NonNullable<JournalDraft['pickles']>,
): JournalEntry {
  return journal.record({
    time: Date.now(),
    method: 'ADMIN',
    path: '',
    query: '',
    status: 200,
    durationMs: 0,
    worker: null,
    sessionId,
    lockWaitMs: 0,
    outcome: 'edited',
    changes,
    saves: [],
    edit,
    pickles,
  });
}
