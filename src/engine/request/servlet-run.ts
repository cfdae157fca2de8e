/**
 * One servlet request, from the HTTP core's handler on: the output cache, the preview's unsaved
 * text, the session (opened, then committed or rolled back), the run on a worker, the journal,
 * and the answer: a whole page, a page streamed after `pse.flush()`, or an error page.
 */
import type { JournalOutcome, NamespaceChange } from '../../common/types/journal.js';
import type { LocatedError } from '../../common/types/located.js';
import type { ServletRequest } from '../http/app.js';
import { ChunkQueue } from '../http/chunk-queue.js';
import { errorPage } from '../http/error-pages.js';
import { HttpError } from '../http/http-error.js';
import { headerList, type Answer, type HeaderList, type HttpResponse } from '../http/types.js';
import { addLogLine } from '../journal/record.js';
import { WorkerFailure, type WorkerPool } from '../runtime/pool.js';
import type {
  LogSubject,
  RunHandle,
  RunHooks,
  RunInput,
  RunResult,
  RunSink,
} from '../runtime/run.js';
import type { ServletError } from '../runtime/protocol.js';
import type {
  FinishResult,
  FollowingTurn,
  SessionPlace,
  SessionState,
  SessionTicket,
  SessionTrace,
} from '../session/ticket.js';
import type { SessionResult } from '../session/result.js';
import type { SessionService } from '../session/service.js';
import { formatLocated } from '../../common/types/located.js';
import { failureAnswer, failureOf, failureStatus } from './failure.js';
import {
  journalEnd,
  journalHolds,
  journalStart,
  journalWaits,
  type JournalRun,
} from './journal-run.js';
import { OutputCache } from './output-cache.js';
import { buildOverride, type EngineHttpRequest } from './preview.js';
import { servletErrorPage, servletErrorText } from './servlet-error-page.js';
import type { SessionChains } from './session-chain.js';
import { openSession, sessionOpenError, ticketAtOnce } from './session-open.js';

/** What a servlet request needs of the engine; read at each request (a reload replaces parts). */
export interface RequestDeps {
  readonly appRoot: string;
  readonly pool: WorkerPool;
  readonly sessions: SessionService | null;
  /** the run each busy session's next request may follow onto its worker */
  readonly chains: SessionChains;
  readonly cache: OutputCache;
  /** the custom tag names the workers registered */
  readonly tags: ReadonlySet<string>;
  readonly showTracebacks: boolean;
  /** a line for the error log */
  logError(text: string): void;
}

/** A request's session as in-process callers see it: its id, outcome and namespace changes. */
export interface SessionOutcomeView {
  id: string | null;
  outcome: JournalOutcome;
  changes: NamespaceChange[];
  /** a dry run that changed its session: the state it would have left (null: it ended it) */
  state?: SessionState | null;
}

/** The servlet run's answer: the response, and what in-process callers (Studio) are shown. */
export interface ServletAnswer extends Answer {
  /** the servlet raised (frames already mapped to template and code-module lines) */
  servletError?: ServletError;
  /** the preview's unsaved text did not compile */
  problems?: LocatedError[];
  /** the session the request ran with and what it changed (for a dry run: would have changed) */
  session?: SessionOutcomeView;
}

export async function runServlet(
  deps: RequestDeps,
  s: ServletRequest<EngineHttpRequest>,
): Promise<ServletAnswer> {
  const preview = s.req.preview;
  const cache = deps.cache;
  // the key (a new string, hashed by the lookup) is made only when the cache holds pages
  const cacheKey =
    preview || cache.empty ? null : OutputCache.key(s.req.method, s.req.url, s.req.headers.host);
  if (cacheKey && cache.mayHave(cacheKey)) {
    const hit = await cache.get(cacheKey);
    if (hit)
      return { res: { status: hit.status, headers: hit.headers, body: hit.body }, cached: true };
  }
  let override: RunInput['override'];
  if (preview) {
    const built = buildOverride(deps.appRoot, deps.tags, preview.overrides);
    if ('problems' in built) {
      const res = errorPage(500, built.problems.map((p) => formatLocated(p)).join('\n'));
      return { res, problems: built.problems };
    }
    override = built.override;
  }
  const sessions = deps.sessions;
  const jr = journalStart(sessions, s);
  const atOnce = preview ? undefined : ticketAtOnce(sessions, s.req);
  const input: RunInput = {
    servlet: s.servlet,
    override,
    method: s.req.method,
    url: s.req.url,
    path: s.path,
    query: s.query,
    headers: headerList(s.req.headers),
    remote: s.req.remote,
    local: s.req.local,
    form: s.form,
    body: s.body,
    session: null,
    dry: preview !== undefined,
  };
  if (jr?.record) input.record = true;
  const run = new ServletRun(deps, jr, s, input);
  if (atOnce === null || (atOnce && 'finish' in atOnce)) run.start(atOnce);
  else {
    if (atOnce) journalWaits(sessions, jr, atOnce.id);
    // busy with a request on a worker: this one follows it there, else waits here for its turn
    const link = atOnce?.id ? deps.chains.last(atOnce.id) : undefined;
    const turn = link && atOnce ? sessions!.manager.follow(link.place, atOnce) : null;
    if (turn) run.follow(turn, link!.run);
    else run.start(await openTicket(deps, s, jr, atOnce));
  }
  const first = await run.first;
  if ('res' in first) return first; // streaming after pse.flush()
  if ('failed' in first) return failureAnswer(first.failed);
  const { result, setCookie, trace, dryState } = first;
  const answer = finalAnswer(result, setCookie, deps.showTracebacks);
  if (!preview && isCacheable(result, answer.res)) {
    const key = cacheKey ?? OutputCache.key(s.req.method, s.req.url, s.req.headers.host);
    if (key) await cachePage(deps, key, result);
  }
  if (trace) {
    answer.session = { id: trace.sessionId, outcome: trace.outcome, changes: trace.changes };
    if (dryState !== undefined) answer.session.state = dryState;
  }
  return answer;
}

/** The request's session, looked up (and locked); a failure is journaled. */
async function openTicket(
  deps: RequestDeps,
  s: ServletRequest<EngineHttpRequest>,
  jr: JournalRun | null,
  cookie: Parameters<typeof openSession>[3],
): Promise<SessionTicket | null> {
  try {
    return await openSession(deps.sessions, s.req, s.req.preview, cookie);
  } catch (err) {
    journalOpenFailure(deps, s, jr, err);
    throw err;
  }
}

/** The session could not be opened: the page never ran; the journal says why. */
function journalOpenFailure(
  deps: RequestDeps,
  s: ServletRequest<EngineHttpRequest>,
  jr: JournalRun | null,
  err: unknown,
): void {
  // the session stayed busy past LockTimeout (503)
  const lock = err instanceof HttpError && err.status === 503;
  const message = err instanceof Error ? err.message : String(err);
  journalEnd(
    deps.sessions,
    jr,
    s,
    {
      status: lock ? 503 : 500,
      worker: null,
      trace: null,
      failure: { kind: lock ? 'lock_timeout' : 'error', message },
      result: null,
    },
    deps.logError,
  );
}

function finalAnswer(
  result: RunResult,
  setCookie: readonly string[],
  showTracebacks: boolean,
): ServletAnswer {
  if (result.error) {
    const res = servletErrorPage(
      result.status >= 400 ? result.status : 500,
      result.error,
      showTracebacks,
    );
    for (const c of setCookie) res.headers.push(['Set-Cookie', c]);
    return {
      res,
      worker: result.worker,
      servletError: result.error,
      error: servletErrorText(result.error),
    };
  }
  const headers: HeaderList = [...result.headers];
  for (const c of setCookie) headers.push(['Set-Cookie', c]);
  return { res: { status: result.status, headers, body: result.body }, worker: result.worker };
}

async function cachePage(deps: RequestDeps, key: string, result: RunResult): Promise<void> {
  await deps.cache
    .set(key, {
      status: result.status,
      headers: result.headers,
      body: result.body,
      until: result.cacheUntil! * 1000,
    })
    .catch((err: unknown) => deps.logError(`output cache: ${String(err)}`));
}

/** A page may be kept by the output cache: it asked to be, ran fine and sets no cookie. */
function isCacheable(result: RunResult, res: HttpResponse): boolean {
  return (
    result.cacheUntil !== undefined &&
    result.status === 200 &&
    !result.error &&
    // A page that sets cookies is someone's own page: never served to others from the cache.
    !res.headers.some(([k]) => k.toLowerCase() === 'set-cookie')
  );
}

/** How a servlet run ended, once its session is settled and it is journaled. */
type RunEnd =
  | {
      result: RunResult;
      setCookie: readonly string[];
      trace: SessionTrace | null;
      dryState?: SessionState | null;
    }
  | { failed: unknown };

const NO_COOKIES: readonly string[] = [];

function notContinued(t: SessionTicket): string {
  return (
    `session ${t.session?.id ?? '(gone)'}: the request before this one was not stored as its ` +
    'worker ran it, and this one ran after it there; nothing of this one was stored. Try again.'
  );
}

/**
 * One servlet run (it is the run's hooks and sink): it settles the session and the journal when
 * the run ends, and answers the whole page then, or, after `pse.flush()`, a response streamed
 * from the first chunk on, fed until the run ends. The stream's parts are made only when a page
 * flushes.
 *
 * A run either starts with its ticket (`start`), or follows the run before it of its session
 * onto that run's worker (`follow`) and gets its ticket when that one has finished: its result
 * then counts only if the ticket holds the very session the worker continued from.
 */
class ServletRun implements RunHooks, RunSink {
  private ticket: SessionTicket | null = null;
  /** following another run: the ticket to come */
  private turn: FollowingTurn | null = null;
  private job: RunHandle | null = null;
  /** where this run stands in its session's queue, while a later request may follow it */
  private place: SessionPlace | null = null;
  private done = false;
  /** the streamed answer, from the first chunk with a head on */
  private stream: ServletAnswer | null = null;
  private queue: ChunkQueue | null = null;
  private over: (() => void) | null = null;
  private answer!: (first: ServletAnswer | RunEnd) => void;
  /** the streamed answer, or how the run ended when it ended before streaming */
  readonly first = new Promise<ServletAnswer | RunEnd>((resolve) => (this.answer = resolve));
  readonly subject: LogSubject;

  constructor(
    private readonly deps: RequestDeps,
    private readonly jr: JournalRun | null,
    private readonly req: ServletRequest<EngineHttpRequest>,
    private readonly input: RunInput,
  ) {
    this.subject = { request: req.id, preview: req.req.preview !== undefined };
  }

  /** Runs with `ticket`'s session (null: none). */
  start(ticket: SessionTicket | null): void {
    this.ticket = ticket;
    const input = this.input;
    const jr = this.jr;
    if (ticket) {
      input.session = ticket.session;
      if (ticket.queued) input.urgent = true;
      if (jr) {
        jr.lockWaitMs = ticket.lockWaitMs;
        if (ticket.session && !ticket.dry) journalHolds(this.deps.sessions, jr, ticket.session.id);
      }
    }
    if (jr?.record) jr.dispatched = performance.now();
    const job = (this.job = this.deps.pool.dispatch(input, this, this));
    if (ticket?.place) this.deps.chains.add((this.place = ticket.place), job);
  }

  /** Runs behind `prev` on its worker, from the session as that run leaves it there. */
  follow(turn: FollowingTurn, prev: RunHandle): void {
    const jr = this.jr;
    if (jr?.record) jr.dispatched = performance.now();
    const job = this.deps.pool.dispatchAfter(prev, turn.deadline, this.input, this, this);
    if (!job) {
      // that run is on no worker that can take this one: wait here for the session as usual
      turn.ticket.then(
        (t) => this.start(t),
        (err: unknown) => this.lockFailed(err),
      );
      return;
    }
    this.turn = turn;
    this.job = job;
    this.deps.chains.add((this.place = turn.place), job);
    turn.ticket.then(
      (t) => this.granted(t),
      (err: unknown) => this.lockFailed(err),
    );
  }

  /** The run before it has finished: this one holds the session now. */
  private granted(t: SessionTicket): void {
    this.ticket = t;
    const jr = this.jr;
    if (jr) {
      jr.lockWaitMs = t.lockWaitMs;
      if (t.session) journalHolds(this.deps.sessions, jr, t.session.id);
    }
  }

  /** The session stayed busy past LockTimeout, or could not be read: the page never ran. */
  private lockFailed(err: unknown): void {
    if (this.job) this.deps.pool.withdraw(this.job);
    const failure = sessionOpenError(err);
    journalOpenFailure(this.deps, this.req, this.jr, failure);
    this.settle({ failed: failure });
  }

  onResult(result: RunResult): void {
    const jr = this.jr;
    if (jr?.dispatched !== undefined) jr.roundTripMs = performance.now() - jr.dispatched;
    const turn = this.turn;
    if (turn) {
      this.settleLater(turn.ticket.then((t) => this.afterContinued(t, result)));
      return;
    }
    let end: RunEnd | Promise<RunEnd>;
    try {
      end = this.afterRun(result);
    } catch (err) {
      end = { failed: err };
    }
    if (end instanceof Promise) this.settleLater(end);
    else this.settle(end);
  }

  onFailure(err: WorkerFailure): void {
    this.settleLater(this.afterFailure(err));
  }

  /** The worker held no copy of the session to follow from (or it was too late): run it here. */
  onRefused(): void {
    const turn = this.turn;
    this.turn = null;
    this.job = null;
    if (!turn) {
      this.settle({ failed: new Error('a worker refused a run that follows no other') });
      return;
    }
    // a lock that fails is answered by lockFailed
    turn.ticket.then(
      (t) => this.start(t),
      () => undefined,
    );
  }

  onSave(session: SessionResult): Promise<void> {
    const turn = this.turn;
    if (turn) {
      return turn.ticket.then((t) => {
        if (!t.continued) throw new Error(notContinued(t));
        return t.save(session);
      });
    }
    if (!this.ticket) return Promise.reject(new Error('sessions are not enabled in this engine'));
    return this.ticket.save(session);
  }

  /** A `server.log` line of this run: the journal keeps it with the request. */
  onLog(level: string, msg: string): void {
    const jr = this.jr;
    if (jr) addLogLine((jr.logs ??= []), performance.now() - jr.started, level, msg);
  }

  onChunk(head: { status: number; headers: [string, string][] } | undefined, data: Buffer): void {
    const queue = (this.queue ??= new ChunkQueue());
    if (head && !this.stream) {
      this.stream = {
        res: { status: head.status, headers: head.headers, body: queue },
        finished: new Promise<void>((resolve) => (this.over = resolve)),
      };
      this.answer(this.stream);
    }
    queue.push(data);
  }

  /**
   * The run answered: the session commits (or rolls back) and the journal records it. Without a
   * promise when the session has nothing to store (`finishAtOnce`).
   */
  private afterRun(result: RunResult): RunEnd | Promise<RunEnd> {
    const ticket = this.ticket;
    if (!ticket) return this.runEnd(result, undefined);
    const outcome = { ok: !result.error, session: result.session };
    const fin = ticket.finishAtOnce(outcome);
    if (fin) return this.runEnd(result, fin);
    const jr = this.jr;
    if (!jr?.record) return ticket.finish(outcome).then((f) => this.runEnd(result, f));
    const t0 = performance.now();
    return ticket.finish(outcome).then((f) => {
      jr.commitMs = performance.now() - t0;
      return this.runEnd(result, f);
    });
  }

  private runEnd(result: RunResult, fin: FinishResult | undefined): RunEnd {
    // journal: the request, its session trace and its cause if it failed
    const trace = fin?.trace ?? null;
    journalEnd(
      this.deps.sessions,
      this.jr,
      this.req,
      {
        status: result.status,
        worker: result.worker,
        trace,
        failure: result.error ? { kind: 'exception', error: result.error } : null,
        result,
      },
      this.deps.logError,
    );
    const end: RunEnd = { result, setCookie: fin?.setCookie ?? NO_COOKIES, trace };
    if (fin?.dryState !== undefined) end.dryState = fin.dryState;
    return end;
  }

  /**
   * A run that followed another ended: it counts when its ticket holds the session the worker
   * continued from. Else (the run before it did not commit, or left the queue) nothing of it
   * may be stored, and it fails.
   */
  private afterContinued(t: SessionTicket, result: RunResult): RunEnd | Promise<RunEnd> {
    if (!t.continued) return this.afterFailure(new HttpError(503, notContinued(t)));
    return this.afterRun(result);
  }

  /** The run failed (crash, timeout, no worker): the session rolls back, the journal says why. */
  private async afterFailure(err: unknown): Promise<RunEnd> {
    const ticket = this.turn ? await this.turn.ticket.catch(() => null) : this.ticket;
    const fin = ticket ? await ticket.finish({ ok: false }).catch(() => undefined) : undefined;
    journalEnd(
      this.deps.sessions,
      this.jr,
      this.req,
      {
        status: failureStatus(err),
        worker: err instanceof WorkerFailure ? (err.worker ?? null) : null,
        trace: fin?.trace ?? null,
        failure: failureOf(err),
        result: null,
      },
      this.deps.logError,
    );
    return { failed: err };
  }

  private settleLater(end: Promise<RunEnd>): void {
    end.then(
      (e) => this.settle(e),
      (err: unknown) => this.settle({ failed: err }),
    );
  }

  /** The run has ended (its session settled, its journal entry written). */
  private settle(end: RunEnd): void {
    if (this.done) return;
    this.done = true;
    if (this.place) this.deps.chains.end(this.place);
    const stream = this.stream;
    if (!stream) {
      this.answer(end);
      return;
    }
    // The rest of a streamed page follows its chunks; the outcome is noted for the logs.
    const queue = this.queue!;
    if ('failed' in end) {
      const err = end.failed;
      queue.fail(err instanceof Error ? err : new Error(String(err)));
      stream.error = `after flush(): ${err instanceof Error ? err.message : String(err)}`;
    } else {
      const result = end.result;
      queue.push(result.body);
      queue.end();
      stream.worker = result.worker;
      if (result.error)
        stream.error = `after flush(): ${result.error.type}: ${result.error.message}\n${result.error.text}`;
    }
    this.over!();
  }
}
