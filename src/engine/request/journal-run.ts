/**
 * A servlet request's journal entry: its serial is taken when the request starts (live views
 * see it at once), and the entry is written when the run has ended and its session is settled.
 */
import type { ServletRequest } from '../http/app.js';
import { headerList } from '../http/types.js';
import type {
  KeyWrite,
  RecordedRequest,
  RequestLogLine,
  RequestTimings,
} from '../../common/types/journal.js';
import { recordRequest, recordResponse, type Failure } from '../journal/record.js';
import type { RunResult } from '../runtime/run.js';
import type { SessionTrace } from '../session/ticket.js';
import type { SessionService } from '../session/service.js';

/** What the journal keeps of one request while it runs. */
export interface JournalRun {
  serial: number;
  time: number;
  started: number;
  lockWaitMs: number;
  /** the servlet's `server.log` lines, made on the first one */
  logs?: RequestLogLine[];
  /**
   * The journal is on (not only live views): the worker records the writers of session keys,
   * the servlet's namespace and its timings, and the request path times its own parts.
   */
  record: boolean;
  path: string;
  /** the session this request holds (its lock), once it holds it */
  holds?: string;
  /** the request that held the session when this one began to wait for it */
  lockBehind?: { serial: number; path: string };
  /** performance.now() when the run was handed to the pool, and ms until its answer */
  dispatched?: number;
  roundTripMs?: number;
  commitMs?: number;
}

/** Per session service: which journaled request holds each session now (this process's). */
const holders = new WeakMap<SessionService, Map<string, JournalRun>>();

/** Before waiting for session `id`'s lock: notes the request that holds it now, if any. */
export function journalWaits(
  sessions: SessionService | null,
  jr: JournalRun | null,
  id: string | null,
): void {
  if (!jr?.record || !sessions || id === null) return;
  const h = holders.get(sessions)?.get(id);
  if (h) jr.lockBehind = { serial: h.serial, path: h.path };
}

/** The request holds session `id` now (until journalEnd). */
export function journalHolds(sessions: SessionService | null, jr: JournalRun, id: string): void {
  if (!jr.record || !sessions) return;
  let m = holders.get(sessions);
  if (!m) holders.set(sessions, (m = new Map()));
  m.set(id, jr);
  jr.holds = id;
}

/** How the request ended, as the journal records it. */
export interface JournalEnd {
  status: number;
  worker: number | null;
  trace: SessionTrace | null;
  failure: Failure | null;
  /** the run's result, when it produced one (its response is recorded) */
  result: RunResult | null;
}

export function journalStart(
  sessions: SessionService | null,
  s: ServletRequest,
): JournalRun | null {
  if (!sessions) return null;
  // No journal and nobody watching live (a production server): nothing to start.
  const { journal, requests } = sessions;
  if (!journal.enabled && !requests.has('requestStarted') && !requests.has('requestFinished'))
    return null;
  const time = Date.now();
  const serial = sessions.started({ time, method: s.req.method, path: s.path, query: s.query });
  return {
    serial,
    time,
    started: performance.now(),
    lockWaitMs: 0,
    record: journal.enabled && sessions.details,
    path: s.path,
  };
}

export function journalEnd(
  sessions: SessionService | null,
  jr: JournalRun | null,
  s: ServletRequest,
  end: JournalEnd,
  logError: (text: string) => void,
): void {
  if (!jr || !sessions) return;
  if (jr.holds !== undefined) {
    const m = holders.get(sessions);
    if (m?.get(jr.holds) === jr) m.delete(jr.holds);
  }
  // No journal and nobody watching live: building the entry would be thrown away.
  if (!sessions.journal.enabled && !sessions.requests.has('requestFinished')) return;
  try {
    const body = Buffer.isBuffer(s.body) ? s.body : undefined;
    sessions.finished(
      jr.serial,
      {
        time: jr.time,
        method: s.req.method,
        path: s.path,
        query: s.query,
        status: end.status,
        durationMs: performance.now() - jr.started,
        worker: end.worker,
        lockWaitMs: jr.lockWaitMs,
      },
      end.trace,
      end.failure,
      recordedIo(jr, end, recordRequest(headerList(s.req.headers), s.form, body)),
    );
  } catch (err) {
    logError(`journal: ${err instanceof Error ? err.message : String(err)}`);
  }
}

type RecordedIo = NonNullable<Parameters<SessionService['finished']>[4]>;

/** The copies of the request and its response, its log lines and what `recorded` adds. */
function recordedIo(jr: JournalRun, end: JournalEnd, request: RecordedRequest): RecordedIo {
  const io: RecordedIo = jr.record ? recorded(jr, end) : {};
  io.request = request;
  if (jr.logs) io.logs = jr.logs;
  const { result } = end;
  if (result)
    io.response = recordResponse(
      result.status,
      result.headers,
      result.streamed ? undefined : result.body,
    );
  return io;
}

/** What the worker and the request path recorded of a journaled run. */
function recorded(jr: JournalRun, end: JournalEnd): RecordedIo {
  const r = end.result;
  const timing = r?.timing;
  const timings: RequestTimings = {
    lockWaitMs: jr.lockWaitMs,
    // the round trip less the worker's own run: the pool's queue and the pipe
    workerWaitMs:
      timing && jr.roundTripMs !== undefined ? Math.max(0, jr.roundTripMs - timing.run) : 0,
    moduleMs: timing?.module ?? 0,
    templateMs: timing?.template ?? 0,
    commitMs: jr.commitMs ?? 0,
  };
  if (jr.lockBehind && jr.lockWaitMs > 0) timings.lockBehind = jr.lockBehind;
  const out: RecordedIo = { timings };
  if (r?.scope) out.scope = r.scope;
  const w = r?.session?.writes;
  if (w) {
    const writes: KeyWrite[] = [];
    for (const name in w) {
      const keys = w[name]!;
      for (const key in keys) {
        const [file, line] = keys[key]!;
        writes.push({ name, key, file, line });
      }
    }
    if (writes.length) out.writes = writes;
  }
  return out;
}
