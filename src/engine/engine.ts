/**
 * Engine: the composition root. It owns the configuration, the CPython worker pool, the HTTP
 * core, the output cache, the logs and the file watcher. The CLI (`pse serve`, `pse run`) and
 * PSE Studio (in-process) both drive an app through this class only.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, toWorkerConfig, type PseConfig } from './config/index.js';
import { AppWatcher, type WatchAction } from './config/watch.js';
import { formatAccess, formatError } from './http/access-log.js';
import { HttpApp, type ServletRequest } from './http/app.js';
import { ChunkQueue } from './http/chunk-queue.js';
import { errorPage, servletErrorPage } from './http/error-pages.js';
import { HttpError } from './http/http-error.js';
import { LogFiles } from './http/log-files.js';
import { hostGuard } from './http/host-check.js';
import { listen, type RunningServer } from './http/node-adapter.js';
import { OutputCache } from './http/output-cache.js';
import type {
  HeaderList,
  HttpRequest,
  HttpResponse,
  RequestRecord,
  SessionOutcomeView,
} from './http/types.js';
import type { CompiledSource, LocatedError, LogMsg, ServletError } from './runtime/protocol.js';
import {
  WorkerFailure,
  WorkerPool,
  type RunHooks,
  type RunInput,
  type RunResult,
  type RunSink,
  type SessionResult,
} from './runtime/pool.js';
import { resolvePython } from './runtime/python.js';
import { SessionService } from './api/session-service.js';
import type { StoreLog } from './session/pg-connection.js';
import { openSessionStore, type OpenedStore } from './session/store-factory.js';
import { recordRequest, recordResponse, type Failure } from './journal/record.js';
import type { CookieSession, SessionTrace } from './session/manager.js';
import { StoreUnavailableError } from './session/store.js';
import { compileFailure, plainLocated, TemplateSources } from './runtime/sources.js';
import { compileTemplate, mapSyntaxErrors } from './template/index.js';

export interface LogLine {
  kind: 'access' | 'error' | 'info';
  text: string;
  /** lines from the worker pool: their level */
  level?: LogLevel;
}

export type LogLevel = LogMsg['level'];

const LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR'];

/**
 * The console's threshold for worker-pool lines: `[plugins.server] LogLevel` (the level servlets'
 * `server.log` honours), NOTICE by default. `.pse/error.log` gets every line whatever it says.
 */
export function consoleLogLevel(config: PseConfig): LogLevel {
  const server =
    Object.entries(config.plugins).find(([name]) => name.toLowerCase() === 'server')?.[1] ?? {};
  const opt = Object.entries(server).find(([name]) => name.toLowerCase() === 'loglevel')?.[1];
  const level = opt?.value.trim().toUpperCase();
  return LEVELS.find((l) => l === level) ?? 'NOTICE';
}

/**
 * Which session a Studio dry run runs against: the request's cookie (default), a stored session
 * by id, a copy of the state before / after a journaled request, or none ('fresh' and 'none'
 * both start without a stored session: whatever the page stores is shown, never committed).
 */
export type PreviewSession =
  | 'cookie'
  | 'fresh'
  | 'none'
  | { id: string }
  | { snapshot: { serial: number; phase: 'before' | 'after' } };

/** Receives every log line (besides the files under `.pse/` and the 'log' event). */
export type LogSink = (line: LogLine) => void;

export interface EngineOptions {
  /** ShowTracebacks defaults to no */
  production?: boolean;
  /** overrides [Main] PythonExecutable */
  python?: string;
  /** overrides [Main] Workers */
  workers?: number;
  log?: LogSink;
  /** watch the app for changes (default true) */
  watch?: boolean;
  /** write access.log and error.log under APP/.pse/ (default true) */
  logFiles?: boolean;
  /**
   * keep the request journal (`.pse/journal.sqlite`, Studio's history; default true).
   * `pse serve --production` passes false: a public server then writes no copies of its
   * visitors' requests (cookies, form data) to disk, and each request costs less.
   */
  journal?: boolean;
  /**
   * keep the session store to this process (default false): its file is locked for the
   * engine's lifetime, and sessions are served from memory, written through to the file.
   * `pse serve --production` passes true; `pse studio`, `pse run` and a second server of the
   * app then cannot open the store (they say so, naming the file).
   */
  exclusiveSessions?: boolean;
  /** a PostgreSQL session store: create or upgrade its schema at start (default true) */
  migrate?: boolean;
}

export interface EngineRequest {
  method: string;
  /** path + query */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string;
  remote?: [string, number];
  /**
   * Studio: run with unsaved text (path → text, absolute or app-relative; used for the servlet
   * and for every template or code module it includes or calls) and commit nothing.
   */
  preview?: { overrides?: Record<string, string>; dry: true; session?: PreviewSession };
}

export interface EngineResponse {
  status: number;
  headers: HeaderList;
  body: Buffer;
  worker?: number;
  /** the servlet raised (frames already mapped to template and code-module lines) */
  error?: ServletError;
  /** the preview's unsaved text did not compile */
  problems: LocatedError[];
  /** the session the request ran with and what it changed (for a dry run: would have changed) */
  session?: SessionOutcomeView;
  cached: boolean;
  durationMs: number;
}

export interface ReloadEvent {
  reason: string;
  /** 'config': pse.conf was re-read and the workers replaced; 'workers': workers restarted */
  scope: 'config' | 'workers';
}

interface EngineEvents {
  request: [RequestRecord];
  log: [LogLine];
  reload: [ReloadEvent];
  'config-error': [LocatedError[]];
}

// ------------------------------------------------------------------------------- session seam
/**
 * SESSION SEAM — filled in by the sessions engineer (src/engine/session/manager.ts fits it).
 * Before dispatch the request's session is opened (FIFO lock + load); `save` serves
 * `session.save()`; `finish` commits or rolls back and unlocks, exactly once per request.
 */
export interface SessionTicketLike {
  readonly session: { id: string; ns: Map<string, Buffer> } | null;
  save(s: SessionResult): Promise<void>;
  finish(outcome: { ok: boolean; session?: SessionResult }): Promise<{ setCookie?: string[] }>;
  /** `finish` without a promise when there is nothing to store; null: call `finish` */
  finishAtOnce?(outcome: { ok: boolean; session?: SessionResult }): { setCookie?: string[] } | null;
}

export interface SessionGate {
  open(req: { cookieHeader?: string; dry?: boolean }): Promise<SessionTicketLike>;
  close(): Promise<void>;
}

const NO_SESSION: SessionTicketLike = {
  session: null,
  save: () => Promise.reject(new Error('sessions are not enabled in this engine')),
  finish: () => Promise.resolve({}),
  finishAtOnce: () => ({}),
};

/** The app's session store, journal and admin API (null when `[plugins.session] Enabled = no`). */
function openSessions(
  config: PseConfig,
  pool: () => WorkerPool,
  opts: EngineOptions,
  opened: OpenedStore | null,
  python: string,
  log: (message: string) => void,
): SessionService | null {
  if (!config.session.enabled) return null;
  const conf =
    opts.journal === false ? { ...config, studio: { ...config.studio, journalSize: 0 } } : config;
  return SessionService.open(conf, pool, {
    exclusive: opts.exclusiveSessions === true,
    python,
    log,
    ...(opened ? { opened } : {}),
  });
}

/** What the journal keeps of one request. */
interface JournalRun {
  serial: number;
  time: number;
  started: number;
  lockWaitMs: number;
}
// ------------------------------------------------------------------------------ end of seam

/** A template compiled from unsaved text, kept with what maps Python syntax errors back to it. */
interface CompiledText extends CompiledSource {
  cols: number[];
  source: string;
}

function compileText(
  file: string,
  source: string,
  tags: ReadonlySet<string>,
): CompiledText | LocatedError {
  const out = compileTemplate(source, { file, tags });
  if (out.ok) return { py: out.py, map: out.map, cols: out.cols, file, source };
  return compileFailure(file, out.errors);
}

interface Preview {
  overrides: Record<string, string>;
  session: PreviewSession;
}

export class Engine {
  readonly appRoot: string;
  config: PseConfig;
  readonly production: boolean;
  python: string;
  /** custom tag and plugin names the workers registered */
  tags: string[] = [];
  plugins: string[] = [];

  private pool: WorkerPool;
  private readonly sources: TemplateSources;
  private readonly app: HttpApp;
  private cache: OutputCache;
  private sessions: SessionService | null;
  private readonly events = new EventEmitter();
  private readonly previews = new WeakMap<HttpRequest, Preview>();
  private server: RunningServer | null = null;
  private watcher: AppWatcher | null = null;
  private logFiles: LogFiles | null;
  private closed = false;
  private reloading: Promise<void> = Promise.resolve();

  private constructor(
    config: PseConfig,
    python: string,
    pool: WorkerPool,
    sources: TemplateSources,
    private readonly opts: EngineOptions,
    private readonly tmpDir: string,
    opened: OpenedStore | null,
  ) {
    this.appRoot = config.appRoot;
    this.config = config;
    this.production = opts.production ?? false;
    this.python = python;
    this.pool = pool;
    this.sources = sources;
    this.cache = new OutputCache(config.main.outputCacheDir);
    this.logFiles =
      opts.logFiles === false ? null : new LogFiles(path.join(config.appRoot, '.pse'));
    this.sessions = openSessions(
      config,
      () => this.pool,
      opts,
      opened,
      python,
      (m) => this.log('error', m),
    );
    this.app = new HttpApp({
      root: config.appRoot,
      body: () => ({
        maxBody: this.config.main.maxBody,
        spoolThreshold: 256 * 1024,
        tmpDir: this.tmpDir,
      }),
      runServlet: (s) => this.runServlet(s),
      onRecord: (r) => this.record(r),
    });
  }

  /** The session store when pse.conf names a PostgreSQL one (SQLite opens with the service). */
  private static async openStore(
    config: PseConfig,
    opts: EngineOptions,
    log: StoreLog,
  ): Promise<OpenedStore | null> {
    if (!config.session.enabled || config.session.type === 'sqlite') return null;
    return openSessionStore(config.session, {
      ...(opts.migrate !== undefined ? { migrate: opts.migrate } : {}),
      log,
    });
  }

  /** Reads pse.conf (defaults when absent), resolves Python, boots the workers. */
  static async open(appRoot: string, opts: EngineOptions = {}): Promise<Engine> {
    const st = await stat(appRoot).catch(() => null);
    if (!st?.isDirectory())
      throw new Error(
        `${path.resolve(appRoot)} is not a folder: an application is a folder of .pt pages`,
      );
    const config = await loadConfig(appRoot, { production: opts.production });
    const python = await resolvePython(
      opts.python ?? config.main.pythonExecutable,
      pythonPlace(config),
    );
    // A networked store opens first: a wrong or unreachable database fails the start at once.
    // Its log lines go to the engine's log once there is one.
    const logTo: { engine?: Engine } = {};
    const opened = await Engine.openStore(config, opts, (level, text) => {
      if (logTo.engine) logTo.engine.log(level, text);
      else opts.log?.({ kind: level, text });
    });
    const sources = new TemplateSources(compileTemplate);
    const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'pse-uploads-')).catch(
      async (err: unknown) => {
        await opened?.store.close();
        throw err;
      },
    );
    const pool = Engine.makePool(config, python.executable, sources, opts);
    const engine = (logTo.engine = new Engine(
      config,
      python.executable,
      pool,
      sources,
      opts,
      tmpDir,
      opened,
    ));
    try {
      await engine.sessions?.ready();
      await engine.startPool(pool);
    } catch (err) {
      await engine.close();
      throw err;
    }
    if (opts.watch !== false)
      engine.watcher = new AppWatcher(
        engine.appRoot,
        () => engine.config,
        (a) => engine.onChange(a),
      );
    return engine;
  }

  private static makePool(
    config: PseConfig,
    python: string,
    sources: TemplateSources,
    opts: EngineOptions,
  ): WorkerPool {
    return new WorkerPool({
      python,
      workers: opts.workers ?? config.main.workers,
      appRoot: config.appRoot,
      config: toWorkerConfig(config),
      requestTimeoutMs: config.main.requestTimeout * 1000,
      sources: sources.provide,
    });
  }

  private async startPool(pool: WorkerPool): Promise<void> {
    pool.on('log', (level, msg, worker) =>
      this.poolLog(level, `${worker === undefined ? '' : `w${worker} `}${level} ${msg}`),
    );
    pool.on('tags', (tags) => {
      this.tags = tags;
      this.sources.setTags(tags);
    });
    const info = await pool.start();
    // Plugin options are validated in Python: a bad one makes pse.conf as broken as a bad [Main].
    if (info.issues.length > 0) {
      await pool.stop();
      throw new ConfigError(info.issues);
    }
    this.tags = info.tags;
    this.plugins = info.plugins;
    this.sources.setTags(info.tags);
  }

  on<E extends keyof EngineEvents>(event: E, listener: (...args: EngineEvents[E]) => void): this {
    this.events.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<E extends keyof EngineEvents>(event: E, listener: (...args: EngineEvents[E]) => void): this {
    this.events.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /** An in-process request: the same path as over HTTP (tests, `pse run`, Studio preview and replay). */
  async handle(req: EngineRequest): Promise<EngineResponse> {
    const started = performance.now();
    const headers: Record<string, string | string[] | undefined> = {};
    for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
    const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
    if (body && headers['content-length'] === undefined)
      headers['content-length'] = String(body.length);
    const httpReq: HttpRequest = {
      method: req.method.toUpperCase(),
      url: req.url,
      headers,
      body: body && body.length > 0 ? body : undefined,
      remote: req.remote ?? ['127.0.0.1', 0],
      local: ['127.0.0.1', this.server?.port ?? 0],
    };
    const problems: LocatedError[] = [];
    if (req.preview)
      this.previews.set(httpReq, {
        overrides: req.preview.overrides ?? {},
        session: req.preview.session ?? 'cookie',
      });
    const res = await this.app.handle(httpReq);
    const out = await collect(res.body);
    if (res.problems) problems.push(...res.problems);
    return {
      status: res.status,
      headers: res.headers,
      body: httpReq.method === 'HEAD' ? Buffer.alloc(0) : out,
      worker: res.worker,
      error: res.servletError,
      ...(res.session ? { session: res.session } : {}),
      problems,
      cached: res.cached ?? false,
      durationMs: performance.now() - started,
    };
  }

  async listen(port: number, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (this.server) throw new Error(`the engine is already listening at ${this.server.url}`);
    this.server = await listen(
      hostGuard(
        () => this.config.main.allowedHosts,
        (req) => this.app.handle(req),
      ),
      port,
      host,
    );
    this.log('info', `serving ${this.appRoot} at ${this.server.url}`);
    return { url: this.server.url, port: this.server.port };
  }

  async unlisten(): Promise<void> {
    const s = this.server;
    this.server = null;
    await s?.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.watcher?.close();
    await this.unlisten();
    await this.reloading.catch(() => undefined);
    await this.pool.stop();
    await this.sessions?.close();
    await this.logFiles?.close();
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  /** Template errors and Python syntax errors (at template lines) of unsaved text, for editor markers. */
  async compileCheck(file: string, text: string): Promise<LocatedError[]> {
    const abs = path.resolve(this.appRoot, file);
    if (abs.endsWith('.pt')) {
      const compiled = compileText(abs, text, this.sources.tags);
      if ('message' in compiled) return [compiled];
      const errors = await this.pool.check([{ name: abs, code: compiled.py }]);
      return mapSyntaxErrors(errors, compiled, { file: abs, source: text }).map(plainLocated);
    }
    if (abs.endsWith('.py')) {
      const errors = await this.pool.check([{ name: abs, code: text }]);
      return errors.map((e) => ({
        stage: 'python',
        file: abs,
        line: e.line,
        col: e.col,
        message: e.message,
      }));
    }
    return [];
  }

  /** Restart the workers gracefully (new code of helper modules, tag modules, plugins). */
  restartWorkers(reason: string): Promise<void> {
    return this.pool.restart(reason).then(() => {
      this.events.emit('reload', { reason, scope: 'workers' } satisfies ReloadEvent);
    });
  }

  /** Re-read pse.conf. A broken file keeps the running configuration and reports where it is wrong. */
  reloadConfig(reason = 'pse.conf changed'): Promise<void> {
    this.reloading = this.reloading
      .then(() => this.doReload(reason))
      .catch((err: unknown) => {
        this.log('error', `reload failed: ${err instanceof Error ? err.message : String(err)}`);
      });
    return this.reloading;
  }

  private async doReload(reason: string): Promise<void> {
    if (this.closed) return;
    let config: PseConfig;
    try {
      config = await loadConfig(this.appRoot, { production: this.production });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.log(
        'error',
        `pse.conf not applied, the previous configuration keeps running:\n${err.message}`,
      );
      this.events.emit('config-error', err.issues);
      return;
    }
    const python = await resolvePython(
      this.opts.python ?? config.main.pythonExecutable,
      pythonPlace(config),
    );
    const pool = Engine.makePool(config, python.executable, this.sources, this.opts);
    // The new workers boot before the old ones go: a config that cannot boot keeps the old pool.
    try {
      await this.startPool(pool);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.log(
        'error',
        `pse.conf not applied, the previous configuration keeps running:\n${err.message}`,
      );
      this.events.emit('config-error', err.issues);
      return;
    }
    const old = this.pool;
    const before = this.config;
    this.pool = pool;
    this.python = python.executable;
    this.config = config;
    this.applySessionConfig(before.session, config.session);
    this.cache = new OutputCache(config.main.outputCacheDir);
    await old.handOver(pool);
    this.events.emit('reload', { reason, scope: 'config' } satisfies ReloadEvent);
  }

  /** Session options apply at once; the store and the journal stay (they hold the sessions). */
  private applySessionConfig(prev: PseConfig['session'], next: PseConfig['session']): void {
    const place = (s: PseConfig['session']): string =>
      JSON.stringify([s.type, s.file, s.database, s.table]);
    if (prev.enabled !== next.enabled || place(prev) !== place(next)) {
      this.log(
        'error',
        `pse.conf: [plugins.session] ${prev.enabled !== next.enabled ? 'Enabled' : 'store (Type, File, Database, Table)'} changed: it applies at the next start (the running store keeps its sessions); the other session options apply now`,
      );
    }
    this.sessions?.reconfigure(next);
  }

  private onChange(action: WatchAction): void {
    if (this.closed) return;
    if (action.kind === 'config') void this.reloadConfig();
    else if (action.kind === 'restart')
      void this.restartWorkers(action.reason).catch((err: unknown) =>
        this.log('error', `worker restart failed: ${String(err)}`),
      );
  }

  // --------------------------------------------------------------------------- the request path

  private async runServlet(s: ServletRequest): Promise<HttpResponse> {
    const preview = this.previews.get(s.req);
    // the key (a new string, hashed by the lookup) is made only when the cache holds pages
    const cacheKey =
      preview || this.cache.empty
        ? null
        : OutputCache.key(s.req.method, s.req.url, s.req.headers.host);
    if (cacheKey && this.cache.mayHave(cacheKey)) {
      const hit = await this.cache.get(cacheKey);
      if (hit) return { status: hit.status, headers: hit.headers, body: hit.body, cached: true };
    }
    let override: RunInput['override'];
    if (preview) {
      const built = this.buildOverride(preview.overrides);
      if ('problems' in built) {
        const res = errorPage(
          500,
          built.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join('\n'),
        );
        res.problems = built.problems;
        return res;
      }
      override = built.override;
    }
    const dry = preview !== undefined;
    const jr = this.journalStart(s);
    const atOnce = preview ? undefined : this.ticketAtOnce(s.req);
    const ticket =
      atOnce && 'finish' in atOnce ? atOnce : await this.openTicket(s, preview, jr, atOnce);
    if (jr && 'lockWaitMs' in ticket) jr.lockWaitMs = (ticket as { lockWaitMs: number }).lockWaitMs;
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
      session: ticket.session,
      dry,
    };
    const page = new PageRun(this, ticket, jr, s);
    this.pool.dispatch(input, page, page);
    const first = await page.first;
    if ('status' in first) return first; // streaming after pse.flush()
    if ('failed' in first) return failureResponse(first.failed);
    const { result, setCookie, trace } = first;
    const res = this.finalResponse(result, setCookie);
    if (!preview && isCacheable(result, res)) {
      const key = cacheKey ?? OutputCache.key(s.req.method, s.req.url, s.req.headers.host);
      if (key) await this.cachePage(key, result);
    }
    if (trace) res.session = sessionOutcome(trace);
    return res;
  }

  /**
   * The session ticket of a request that names no session, made without a promise (most
   * requests of pages that use none); else the session its cookies name, read once, to open.
   */
  private ticketAtOnce(req: HttpRequest): SessionTicketLike | CookieSession {
    if (!this.sessions) return NO_SESSION;
    const { manager } = this.sessions;
    const cookie = manager.readCookie(cookieHeader(req));
    return manager.openWithoutCookie(cookie) ?? cookie;
  }

  /** The request's session, looked up (and locked); a failure is journaled. */
  private async openTicket(
    s: ServletRequest,
    preview: Preview | undefined,
    jr: JournalRun | null,
    cookie: CookieSession | undefined,
  ): Promise<SessionTicketLike> {
    try {
      return await this.openSession(s.req, preview, cookie);
    } catch (err) {
      // the session stayed busy past LockTimeout (503): journaled, the page never ran
      const lock = err instanceof HttpError && err.status === 503;
      const message = err instanceof Error ? err.message : String(err);
      this.journalEnd(
        jr,
        s,
        lock ? 503 : 500,
        null,
        null,
        { kind: lock ? 'lock_timeout' : 'error', message },
        null,
      );
      throw err;
    }
  }

  /**
   * The run answered: the session commits (or rolls back) and the journal records it. Without a
   * promise when the session has nothing to store (`finishAtOnce`).
   * @internal (PageRun's)
   */
  afterRun(
    ticket: SessionTicketLike,
    jr: JournalRun | null,
    s: ServletRequest,
    result: RunResult,
  ): RunEnd | Promise<RunEnd> {
    const outcome = { ok: !result.error, session: result.session };
    const fin = ticket.finishAtOnce?.(outcome);
    if (fin) return this.runEnd(jr, s, result, fin);
    return ticket.finish(outcome).then((f) => this.runEnd(jr, s, result, f));
  }

  private runEnd(
    jr: JournalRun | null,
    s: ServletRequest,
    result: RunResult,
    fin: { setCookie?: string[] },
  ): RunEnd {
    // journal (sessions engineer): the request, its session trace and its cause if it failed
    const failure: Failure | null = result.error
      ? { kind: 'exception', error: result.error }
      : null;
    this.journalEnd(jr, s, result.status, result.worker, traceOf(fin), failure, result);
    return { result, setCookie: fin.setCookie ?? NO_COOKIES, trace: traceOf(fin) };
  }

  /**
   * The run failed (crash, timeout, no worker): the session rolls back, the journal says why.
   * @internal (PageRun's)
   */
  async afterFailure(
    ticket: SessionTicketLike,
    jr: JournalRun | null,
    s: ServletRequest,
    err: unknown,
  ): Promise<RunEnd> {
    const fin = await ticket.finish({ ok: false }).catch(() => ({}));
    this.journalEnd(
      jr,
      s,
      failureStatus(err),
      err instanceof WorkerFailure ? (err.worker ?? null) : null,
      traceOf(fin),
      failureOf(err),
      null,
    );
    return { failed: err };
  }

  private finalResponse(result: RunResult, setCookie: readonly string[]): HttpResponse {
    if (result.error) {
      const res = servletErrorPage(
        result.status >= 400 ? result.status : 500,
        result.error,
        this.config.main.showTracebacks,
      );
      for (const c of setCookie) res.headers.push(['Set-Cookie', c]);
      res.worker = result.worker;
      res.servletError = result.error;
      return res;
    }
    const headers: HeaderList = [...result.headers];
    for (const c of setCookie) headers.push(['Set-Cookie', c]);
    return { status: result.status, headers, body: result.body, worker: result.worker };
  }

  private async cachePage(key: string, result: RunResult): Promise<void> {
    await this.cache
      .set(key, {
        status: result.status,
        headers: result.headers,
        body: result.body,
        until: result.cacheUntil! * 1000,
      })
      .catch((err: unknown) => this.log('error', `output cache: ${String(err)}`));
  }

  private async openSession(
    req: HttpRequest,
    preview: Preview | undefined,
    cookie?: CookieSession,
  ): Promise<SessionTicketLike> {
    const choice = preview?.session ?? 'cookie';
    if (!this.sessions) {
      if (typeof choice === 'object') {
        throw new HttpError(
          400,
          'preview: sessions are disabled in this app ([plugins.session] Enabled = no), so there is no session to run against',
        );
      }
      return NO_SESSION;
    }
    const sessions = this.sessions;
    const dry = preview !== undefined;
    try {
      if (choice === 'fresh' || choice === 'none') return await sessions.open({ dry: true });
      if (typeof choice === 'object' && 'id' in choice) {
        const ticket = await sessions.open({ dry: true, sessionId: choice.id });
        if (!ticket.session) {
          await ticket.finish({ ok: false });
          throw new HttpError(
            400,
            `preview: no session ${choice.id} (unknown, expired or malformed id)`,
          );
        }
        return ticket;
      }
      if (typeof choice === 'object') {
        const { serial, phase } = choice.snapshot;
        const snapshot = await sessions.admin.snapshot(serial, phase).catch((err: unknown) => {
          throw new HttpError(
            400,
            `preview: cannot run against the state ${phase} request #${serial}: ${err instanceof Error ? err.message : String(err)}`,
          );
        });
        return await sessions.open({ dry: true, snapshot });
      }
      return await sessions.open(
        cookie ? { cookie, dry } : { cookieHeader: cookieHeader(req), dry },
      );
    } catch (err) {
      // busy past LockTimeout: try again later
      if ((err as { code?: string }).code === 'session_lock_timeout')
        throw new HttpError(503, (err as Error).message);
      throw storeUnavailable(err) ?? err;
    }
  }

  /** The session service (store, journal, admin API, live events); null when sessions are off. */
  get sessionService(): SessionService | null {
    return this.sessions;
  }

  private journalStart(s: ServletRequest): JournalRun | null {
    if (!this.sessions) return null;
    // No journal and nobody watching live (a production server): nothing to start.
    const { journal, events } = this.sessions;
    if (!journal.enabled && !events.has('requestStarted') && !events.has('requestFinished'))
      return null;
    const time = Date.now();
    const serial = this.sessions.started({
      time,
      method: s.req.method,
      path: s.path,
      query: s.query,
    });
    return { serial, time, started: performance.now(), lockWaitMs: 0 };
  }

  private journalEnd(
    jr: JournalRun | null,
    s: ServletRequest,
    status: number,
    worker: number | null,
    trace: SessionTrace | null,
    failure: Failure | null,
    result: RunResult | null,
  ): void {
    if (!jr || !this.sessions) return;
    // No journal and nobody watching live: building the entry would be thrown away.
    if (!this.sessions.journal.enabled && !this.sessions.events.has('requestFinished')) return;
    try {
      const body = Buffer.isBuffer(s.body) ? s.body : undefined;
      this.sessions.finished(
        jr.serial,
        {
          time: jr.time,
          method: s.req.method,
          path: s.path,
          query: s.query,
          status,
          durationMs: performance.now() - jr.started,
          worker,
          lockWaitMs: jr.lockWaitMs,
        },
        trace,
        failure,
        {
          request: recordRequest(headerList(s.req.headers), s.form, body),
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
      this.log('error', `journal: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /**
   * Unsaved text for any template (compiled here) or code module of the request: the worker
   * uses it for the servlet and for whatever it includes or calls. Other files are not overridable
   * (static files are served from disk). Every template must compile, or nothing runs.
   */
  private buildOverride(
    overrides: Record<string, string>,
  ): { override: RunInput['override'] } | { problems: LocatedError[] } {
    const templates: Record<string, CompiledSource> = {};
    const modules: Record<string, string> = {};
    const problems: LocatedError[] = [];
    for (const [file, text] of Object.entries(overrides)) {
      const abs = path.resolve(this.appRoot, file);
      if (abs.endsWith('.py')) modules[abs] = text;
      if (!abs.endsWith('.pt')) continue;
      const compiled = compileText(abs, text, this.sources.tags);
      if ('message' in compiled) problems.push(compiled);
      else templates[abs] = { py: compiled.py, map: compiled.map, file: compiled.file };
    }
    if (problems.length > 0) return { problems };
    const any = Object.keys(templates).length > 0 || Object.keys(modules).length > 0;
    return { override: any ? { templates, modules } : undefined };
  }

  // --------------------------------------------------------------------------------------- logs

  private record(r: RequestRecord): void {
    const line = formatAccess(r);
    this.logFiles?.writeAccess(line);
    const entry: LogLine = { kind: 'access', text: line };
    this.opts.log?.(entry);
    this.events.emit('request', r);
    this.events.emit('log', entry);
    if (r.error) this.log('error', formatError(r));
  }

  /** A worker-pool line: all go to `.pse/error.log` and the 'log' event; the console gets those at its level and up. */
  private poolLog(level: LogLevel, text: string): void {
    const line: LogLine = {
      kind: level === 'ERROR' || level === 'WARNING' ? 'error' : 'info',
      text: `${new Date().toISOString()} ${text}`,
      level,
    };
    this.logFiles?.writeError(line.text);
    if (LEVELS.indexOf(level) >= LEVELS.indexOf(consoleLogLevel(this.config)))
      this.opts.log?.(line);
    this.events.emit('log', line);
  }

  private log(kind: 'error' | 'info', text: string): void {
    const line = `${new Date().toISOString()} ${text}`;
    if (kind === 'error') this.logFiles?.writeError(line);
    this.opts.log?.({ kind, text: line });
    this.events.emit('log', { kind, text: line } satisfies LogLine);
  }
}

/** How a servlet run ended, once its session is settled and it is journaled. */
type RunEnd =
  | { result: RunResult; setCookie: readonly string[]; trace: SessionTrace | null }
  | { failed: unknown };

/**
 * One servlet run's answer to the HTTP core (it is the run's hooks too): the whole page when the
 * run has ended, or, after `pse.flush()`, a response streamed from the first chunk on, fed
 * until the run ends. The stream's parts are made only when a page flushes.
 */
class PageRun implements RunHooks, RunSink {
  /** the streamed response, from the first chunk with a head on */
  private stream: HttpResponse | null = null;
  private queue: ChunkQueue | null = null;
  private over: (() => void) | null = null;
  private answer!: (first: HttpResponse | RunEnd) => void;
  /** the streamed response, or how the run ended when it ended before streaming */
  readonly first = new Promise<HttpResponse | RunEnd>((resolve) => (this.answer = resolve));

  constructor(
    private readonly engine: Engine,
    private readonly ticket: SessionTicketLike,
    private readonly jr: JournalRun | null,
    private readonly req: ServletRequest,
  ) {}

  onResult(result: RunResult): void {
    let end: RunEnd | Promise<RunEnd>;
    try {
      end = this.engine.afterRun(this.ticket, this.jr, this.req, result);
    } catch (err) {
      end = { failed: err };
    }
    if (end instanceof Promise) this.settleLater(end);
    else this.settle(end);
  }

  onFailure(err: WorkerFailure): void {
    this.settleLater(this.engine.afterFailure(this.ticket, this.jr, this.req, err));
  }

  private settleLater(end: Promise<RunEnd>): void {
    end.then(
      (e) => this.settle(e),
      (err: unknown) => this.settle({ failed: err }),
    );
  }

  onSave(session: SessionResult): Promise<void> {
    return this.ticket.save(session);
  }

  onChunk(head: { status: number; headers: [string, string][] } | undefined, data: Buffer): void {
    const queue = (this.queue ??= new ChunkQueue());
    if (head && !this.stream) {
      this.stream = {
        status: head.status,
        headers: head.headers,
        body: queue,
        finished: new Promise<void>((resolve) => (this.over = resolve)),
      };
      this.answer(this.stream);
    }
    queue.push(data);
  }

  /** The run has ended (its session settled, its journal entry written). */
  settle(end: RunEnd): void {
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

const NO_COOKIES: readonly string[] = [];

/** The request's `Cookie` header as one string (Node keeps repeated ones as an array). */
function cookieHeader(req: HttpRequest): string | undefined {
  const cookie = req.headers['cookie'];
  return Array.isArray(cookie) ? cookie.join('; ') : cookie;
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

function failureOf(err: unknown): Failure {
  if (err instanceof WorkerFailure) {
    return {
      kind: err.kind === 'timeout' ? 'timeout' : err.kind === 'crash' ? 'crash' : 'error',
      message: err.message,
    };
  }
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

function failureStatus(err: unknown): number {
  if (!(err instanceof WorkerFailure)) return 500;
  return err.kind === 'timeout' ? 504 : err.kind === 'crash' ? 502 : 503;
}

/** The part of a session trace that in-process callers (Studio's preview) show. */
function sessionOutcome(trace: SessionTrace): SessionOutcomeView {
  return { id: trace.sessionId, outcome: trace.outcome, changes: trace.changes };
}

function traceOf(fin: { setCookie?: string[] } | { trace?: SessionTrace }): SessionTrace | null {
  return 'trace' in fin && fin.trace ? fin.trace : null;
}

function pythonPlace(config: PseConfig): { file: string; line: number } | undefined {
  return config.fromFile ? { file: config.confFile, line: 0 } : undefined;
}

function headerList(headers: HttpRequest['headers']): [string, string][] {
  const out: [string, string][] = [];
  // for…in, not Object.entries: no [key, value] array per header on every request
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([k, x]);
    else out.push([k, v]);
  }
  return out;
}

/** A session store that cannot take a change now (locked, disk full): 503 with Retry-After. */
function storeUnavailable(err: unknown): HttpError | null {
  if (!(err instanceof StoreUnavailableError)) return null;
  return new HttpError(503, err.message, { headers: [['Retry-After', String(err.retryAfter)]] });
}

/** Worker crash → 502, timeout → 504, nobody to run it → 503; the cause goes to the error log. */
function failureResponse(err: unknown): HttpResponse {
  if (err instanceof WorkerFailure) {
    const status = err.kind === 'timeout' ? 504 : err.kind === 'crash' ? 502 : 503;
    const res = errorPage(
      status,
      err.kind === 'timeout'
        ? 'The page took too long (RequestTimeout).'
        : 'The page could not be produced.',
    );
    res.worker = err.worker;
    res.error = err.message;
    return res;
  }
  if (err instanceof HttpError) throw err;
  const unavailable = storeUnavailable(err);
  if (unavailable) throw unavailable;
  const res = errorPage(500, 'The server failed to produce this page. The error has been logged.');
  res.error = err instanceof Error ? (err.stack ?? err.message) : String(err);
  return res;
}

async function collect(body: HttpResponse['body']): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  if ('file' in body && typeof body.file === 'string') {
    const all = await readFile(body.file);
    return all.subarray(body.start, body.end + 1);
  }
  const parts: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}
