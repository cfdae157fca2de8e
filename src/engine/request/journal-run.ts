/**
 * A servlet request's journal entry: its serial is taken when the request starts (live views
 * see it at once), and the entry is written when the run has ended and its session is settled.
 */
import type { ServletRequest } from '../http/app.js';
import { headerList } from '../http/types.js';
import type { RequestLogLine } from '../../common/types/journal.js';
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
  return { serial, time, started: performance.now(), lockWaitMs: 0 };
}

export function journalEnd(
  sessions: SessionService | null,
  jr: JournalRun | null,
  s: ServletRequest,
  end: JournalEnd,
  logError: (text: string) => void,
): void {
  if (!jr || !sessions) return;
  // No journal and nobody watching live: building the entry would be thrown away.
  if (!sessions.journal.enabled && !sessions.requests.has('requestFinished')) return;
  try {
    const body = Buffer.isBuffer(s.body) ? s.body : undefined;
    const { result } = end;
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
      {
        request: recordRequest(headerList(s.req.headers), s.form, body),
        ...(jr.logs ? { logs: jr.logs } : {}),
        ...(result
          ? {
              response: recordResponse(
                result.status,
                result.headers,
                result.streamed ? undefined : result.body,
              ),
            }
          : {}),
      },
    );
  } catch (err) {
    logError(`journal: ${err instanceof Error ? err.message : String(err)}`);
  }
}
