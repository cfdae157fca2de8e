/**
 * The HTTP core: URL → servlet / static file / error page, with one error handler and one record
 * per request. It runs the same for node:http (node-adapter.ts) and in-process callers
 * (Engine.handle, tests, Studio preview and replay).
 */
import { performance } from 'node:perf_hooks';
import { readBody, removeTemps, type BodyOptions, type ParsedBody } from './body.js';
import { errorPage } from './error-pages.js';
import { sendableAnswer } from './header-check.js';
import { HttpError } from './http-error.js';
import { Resolver } from './resolve.js';
import { serveStatic } from './static.js';
import {
  isFileBody,
  type Answer,
  type FormEntry,
  type HttpRequest,
  type HttpResponse,
  type RequestRecord,
} from './types.js';
import { UrlCache } from './url.js';

/**
 * What the servlet handler receives: the request already mapped and its body parsed. `req` is
 * the request as the caller gave it, with whatever the caller added to it (e.g. a preview).
 */
export interface ServletRequest<R extends HttpRequest = HttpRequest> {
  /** the request's id: its record's (and its log lines') */
  id: number;
  req: R;
  /** absolute path of the .pt */
  servlet: string;
  path: string;
  query: string;
  form: FormEntry[];
  body?: Buffer | { file: string };
}

export type ServletHandler<R extends HttpRequest, A extends Answer> = (
  s: ServletRequest<R>,
) => Promise<A>;

export interface AppOptions<R extends HttpRequest, A extends Answer> {
  root: string;
  body: () => BodyOptions;
  runServlet: ServletHandler<R, A>;
  onRecord?: (r: RequestRecord) => void;
  /** a request that commits nothing (its record says so) */
  dryRun?: (req: R) => boolean;
}

/** `R`: the requests the caller hands in; `A`: what its servlet handler answers. */
export class HttpApp<R extends HttpRequest = HttpRequest, A extends Answer = Answer> {
  private readonly resolver: Resolver;
  private readonly urls = new UrlCache();
  private nextId = 1;

  constructor(private readonly opts: AppOptions<R, A>) {
    this.resolver = new Resolver(opts.root);
  }

  /** The answer: the servlet handler's own for a servlet, else the core's. */
  async handle(req: R): Promise<A | Answer> {
    const started = performance.now();
    const id = this.nextId++;
    const time = isoNow();
    let kind: RequestRecord['kind'] = 'error';
    let servlet: string | undefined;
    let temps: string[] = NO_TEMPS;
    let answer: A | Answer;
    try {
      const url = this.urls.parse(req.url);
      const target = this.resolver.resolve(url);
      if (target.kind === 'redirect') {
        kind = 'redirect';
        answer = {
          res: {
            status: 301,
            headers: [
              ['Location', target.location],
              ['Content-Length', '0'],
            ],
            body: Buffer.alloc(0),
          },
        };
      } else if (target.kind === 'static') {
        kind = 'static';
        answer = { res: serveStatic(req, target.file, target.stats) };
      } else {
        kind = 'servlet';
        servlet = target.file;
        // most requests have no body: no options to build, no await
        const parsed = req.body === undefined ? NO_BODY : await readBody(req, this.opts.body());
        temps = parsed.temps;
        answer = sendableAnswer(
          await this.opts.runServlet({
            id,
            req,
            servlet: target.file,
            path: url.path,
            query: url.query,
            form: parsed.form,
            body: parsed.body,
          }),
        );
        if (answer.cached) kind = 'cache';
      }
    } catch (err) {
      answer = toErrorAnswer(err);
      if (answer.res.status >= 500 || kind === 'servlet')
        answer.error ??= err instanceof Error ? (err.stack ?? err.message) : String(err);
    }
    const facts: RecordFacts = { id, time, started, req, kind, servlet, temps };
    if (this.opts.dryRun?.(req)) facts.dryRun = true;
    // A whole page is over now; a streamed one is recorded when its run has finished.
    if (answer.finished === undefined) this.finish(facts, answer);
    else {
      const streamed = answer;
      void answer.finished.catch(noop).then(() => this.finish(facts, streamed));
    }
    return answer;
  }

  /** For an adapter (node-adapter.ts `listen`): the response alone. */
  readonly respond = (req: R): Promise<HttpResponse> => this.handle(req).then((a) => a.res);

  /** The request is over: its temporary files go, and its record out. */
  private finish(f: RecordFacts, answer: Answer): void {
    const res = answer.res;
    if (f.temps.length) void removeTemps(f.temps);
    this.opts.onRecord?.({
      id: f.id,
      time: f.time,
      method: f.req.method,
      url: f.req.url,
      status: res.status,
      bytes: Buffer.isBuffer(res.body)
        ? res.body.length
        : isFileBody(res.body)
          ? res.body.end - res.body.start + 1
          : undefined,
      durationMs: performance.now() - f.started,
      worker: answer.worker,
      remote: f.req.remote[0],
      kind: f.kind,
      servlet: f.servlet,
      error: answer.error,
      ...(f.dryRun ? { dryRun: true as const } : {}),
    });
  }
}

/** What `HttpApp.handle` knows of a request when it is over, for its record. */
interface RecordFacts {
  id: number;
  time: string;
  /** performance.now() at arrival */
  started: number;
  req: HttpRequest;
  kind: RequestRecord['kind'];
  servlet: string | undefined;
  temps: string[];
  dryRun?: true;
}

/** The current time as an ISO string; requests arriving in the same millisecond share one. */
function isoNow(): string {
  const ms = Date.now();
  if (ms !== lastIso.ms) lastIso = { ms, text: new Date(ms).toISOString() };
  return lastIso.text;
}
let lastIso = { ms: 0, text: '' };

const NO_TEMPS: string[] = [];
const NO_BODY: ParsedBody = { form: [], temps: NO_TEMPS };
const noop = (): void => undefined;

/** An error page for what a request threw: an HttpError's status, else 500 (logged). */
export function toErrorAnswer(err: unknown): Answer {
  if (err instanceof HttpError) {
    const res = errorPage(err.status, err.status === 404 ? undefined : err.message, err.headers);
    if (err.closeConnection) res.headers.push(['Connection', 'close']);
    return err.status >= 500 ? { res, error: err.message } : { res };
  }
  return {
    res: errorPage(500, 'The server failed to produce this page. The error has been logged.'),
    error: err instanceof Error ? (err.stack ?? err.message) : String(err),
  };
}
