/**
 * Engine: the composition root. It owns the configuration, the CPython worker pool, the HTTP
 * core, the output cache, the sessions, the logs and the file watcher, and hands the servlet
 * request path (src/engine/request) what it needs. The CLI (`pse serve`, `pse run`) and PSE
 * Studio (in-process) both drive an app through this class only.
 */
import type { Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LocatedError } from '../common/types/located.js';
import {
  appPython,
  bootWorkers,
  makePool,
  StartingPool,
  sessionSettings,
  type BootedApp,
  type BootOptions,
} from './boot.js';
import { ConfigError, loadConfig, type PseConfig } from './config/index.js';
import { AppWatcher, type WatchAction } from './config/watch.js';
import { HttpApp } from './http/app.js';
import { hostGuard } from './http/host-check.js';
import { listen, serveDealt, type RunningServer } from './http/node-adapter.js';
import type { RequestRecord } from './http/types.js';
import { EngineLog, type LogLine, type LogSink } from './logs/engine-log.js';
import { LogFiles } from './logs/log-files.js';
import {
  toEngineResponse,
  toHttpRequest,
  type EngineRequest,
  type EngineResponse,
} from './request/in-process.js';
import { OutputCache } from './request/output-cache.js';
import { checkText, type EngineHttpRequest } from './request/preview.js';
import { runServlet, type RequestDeps, type ServletAnswer } from './request/servlet-run.js';
import { SessionChains } from './request/session-chain.js';
import type { WorkerPool } from './runtime/pool.js';
import type { TemplateSources } from './runtime/sources.js';
import type { StoreLog } from './session/pg-connection.js';
import { RequestEvents } from './journal/events.js';
import { SessionEvents } from './session/events.js';
import type { FileSessionLocks } from './session/file-locks.js';
import { SessionService, type SharedJournal } from './session/service.js';
import { openSessionStore, type OpenedStore } from './session/store-factory.js';

export interface EngineOptions extends BootOptions {
  log?: LogSink;
  /** watch the app for changes (default true) */
  watch?: boolean;
  /** write access.log and error.log under APP/.pse/ (default true) */
  logFiles?: boolean;
  /**
   * keep the request journal (Studio's history: `.pse/journal.sqlite`, or the tables a PostgreSQL
   * store's cluster shares; default true).
   * `pse serve --production` passes false: a public server then writes no copies of its
   * visitors' requests (cookies, form data) to disk, and each request costs less.
   */
  journal?: boolean;
  /**
   * with each journaled request, record the line of each session-key write, the servlet's
   * namespace at the end of its run and the timing breakdown (default true; nothing is
   * recorded without a journal). `npm run bench` turns it off to weigh what it costs.
   */
  journalDetails?: boolean;
  /** a PostgreSQL session store: create or upgrade its schema at start (default true) */
  migrate?: boolean;
  /**
   * on a PostgreSQL store whose journal is shared (`[Studio] Journal = store`): receive the
   * entries and session changes of every other process as live events (Studio; default false)
   */
  followCluster?: boolean;
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

/** The app's session store, journal and admin API (null when `[plugins.session] Enabled = no`). */
function openSessions(
  config: PseConfig,
  pool: () => WorkerPool,
  opts: EngineOptions,
  opened: OpenedStore | null,
  shared: SharedJournal | null,
  locks: FileSessionLocks | null,
  log: (message: string) => void,
): SessionService | null {
  if (!config.session.enabled) return null;
  const conf = {
    ...config,
    session: sessionSettings(config, opts),
    ...(opts.journal === false ? { studio: { ...config.studio, journalSize: 0 } } : {}),
  };
  return SessionService.open(conf, pool, {
    exclusive: opts.exclusiveSessions === true,
    details: opts.journalDetails !== false,
    locks,
    log,
    ...(opened ? { opened } : {}),
    ...(shared ? { shared } : {}),
  });
}

/**
 * The journal every process of a PostgreSQL store shares, next to its sessions (null: the
 * SQLite journal applies: another store, `[Studio] Journal = file`, or no journal at all).
 */
async function openSharedJournal(
  config: PseConfig,
  opts: EngineOptions,
  opened: OpenedStore | null,
  log: (message: string) => void,
): Promise<SharedJournal | null> {
  if (
    !opened ||
    config.session.type !== 'postgresql' ||
    config.studio.journal !== 'store' ||
    config.studio.journalSize === 0 ||
    opts.journal === false
  )
    return null;
  const events = new SessionEvents();
  const requests = new RequestEvents();
  const { PgJournal } = await import('./journal/pg-journal.js');
  const journal = await PgJournal.open({
    target: config.session.database,
    table: config.session.table,
    size: config.studio.journalSize,
    maxBytes: config.studio.journalMaxBytes,
    events: requests,
    sessions: events,
    follow: opts.followCluster === true,
    log,
  });
  return { journal, events, requests };
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
  private readonly app: HttpApp<EngineHttpRequest, ServletAnswer>;
  private cache: OutputCache;
  private sessions: SessionService | null;
  private readonly events = new EventEmitter();
  private readonly logs: EngineLog;
  private server: RunningServer | null = null;
  private watcher: AppWatcher | null = null;
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
    shared: SharedJournal | null,
    locks: FileSessionLocks | null,
  ) {
    this.appRoot = config.appRoot;
    this.config = config;
    this.production = opts.production ?? false;
    this.python = python;
    this.pool = pool;
    this.sources = sources;
    this.cache = new OutputCache(config.main.outputCacheDir);
    this.logs = new EngineLog({
      files: opts.logFiles === false ? null : new LogFiles(path.join(config.appRoot, '.pse')),
      sink: opts.log,
      config: () => this.config,
      onLine: (line) => this.events.emit('log', line),
      onRequest: (r) => this.events.emit('request', r),
    });
    // the log files open first: a journal that cannot be opened is reported there
    this.sessions = openSessions(
      config,
      () => this.pool,
      opts,
      opened,
      shared,
      locks,
      (m) => this.logs.write('error', m),
    );
    const deps = this.requestDeps();
    this.app = new HttpApp({
      root: config.appRoot,
      body: () => ({
        maxBody: this.config.main.maxBody,
        spoolThreshold: 256 * 1024,
        tmpDir: this.tmpDir,
      }),
      runServlet: (s) => runServlet(deps, s),
      onRecord: (r) => this.logs.request(r),
      dryRun: (req) => req.preview !== undefined,
    });
  }

  /** What the request path reads of the engine: live views (a reload replaces the pool and cache). */
  private requestDeps(): RequestDeps {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getters read the engine as it is now
    const engine = this;
    return {
      appRoot: this.appRoot,
      get pool() {
        return engine.pool;
      },
      get sessions() {
        return engine.sessions;
      },
      chains: new SessionChains(),
      get cache() {
        return engine.cache;
      },
      get tags() {
        return engine.sources.tags;
      },
      get showTracebacks() {
        return engine.config.main.showTracebacks;
      },
      logError: (text) => this.logs.write('error', text),
    };
  }

  /** The session store when pse.conf names a PostgreSQL one (SQLite opens with the service). */
  private static async openStore(
    config: PseConfig,
    opts: EngineOptions,
    log: StoreLog,
  ): Promise<OpenedStore | null> {
    if (!config.session.enabled || sessionSettings(config, opts).type === 'sqlite') return null;
    return openSessionStore(config.session, {
      ...(opts.migrate !== undefined ? { migrate: opts.migrate } : {}),
      log,
    });
  }

  /** Reads pse.conf (defaults when absent), resolves Python, boots the workers. */
  static async open(appRoot: string, opts: EngineOptions = {}): Promise<Engine> {
    return Engine.openBooted(await bootWorkers(appRoot, opts), opts);
  }

  /**
   * The rest of `open` once `bootWorkers` has started the workers (`pse serve` calls it before
   * it loads this module): the store, the journal and the HTTP app open while they boot.
   */
  static async openBooted(boot: BootedApp, opts: EngineOptions = {}): Promise<Engine> {
    const { config, python, sources, workers, locks } = boot;
    // Its log lines go to the engine's log once there is one.
    const logTo: { engine?: Engine } = {};
    const undo: (() => Promise<void> | void)[] = [() => workers.abandon()];
    if (locks) undo.push(() => locks.close());
    let opened: OpenedStore | null = null;
    let shared: SharedJournal | null = null;
    let tmpDir: string;
    try {
      // a wrong or unreachable database fails the start before anything else opens
      opened = await Engine.openStore(config, opts, (level, text) => {
        if (logTo.engine) logTo.engine.logs.write(level, text);
        else opts.log?.({ kind: level, text });
      });
      const store = opened?.store;
      if (store) undo.push(() => store.close());
      shared = await openSharedJournal(config, opts, opened, (m) => {
        if (logTo.engine) logTo.engine.logs.write('error', m);
        else opts.log?.({ kind: 'error', text: m });
      });
      const journal = shared?.journal;
      if (journal) undo.push(() => journal.close());
      tmpDir = await mkdtemp(path.join(os.tmpdir(), 'pse-uploads-'));
    } catch (err) {
      for (const step of undo.reverse()) await step();
      throw err;
    }
    let engine: Engine;
    try {
      engine = logTo.engine = new Engine(
        config,
        python,
        workers.pool,
        sources,
        opts,
        tmpDir,
        opened,
        shared,
        locks,
      );
    } catch (err) {
      for (const step of undo.reverse()) await step();
      await rm(tmpDir, { recursive: true, force: true });
      throw err;
    }
    // the session locks' helper (a shared SQLite store) and the workers start side by side
    const started = await Promise.allSettled([engine.sessions?.ready(), engine.startPool(workers)]);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) {
      await engine.close();
      throw failed.reason;
    }
    if (opts.watch !== false)
      engine.watcher = new AppWatcher(
        engine.appRoot,
        () => engine.config,
        (a) => engine.onChange(a),
      );
    return engine;
  }

  private async startPool(starting: StartingPool): Promise<void> {
    const pool = starting.pool;
    pool.on('tags', (tags) => {
      this.tags = tags;
      this.sources.setTags(tags);
    });
    const info = await starting.ready((level, msg, worker, about) =>
      this.logs.pool(level, `${worker === undefined ? '' : `w${worker} `}${level} ${msg}`, about),
    );
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
    const httpReq = toHttpRequest(req, this.server?.port ?? 0);
    return toEngineResponse(await this.app.handle(httpReq), httpReq.method, started);
  }

  async listen(port: number, host = '127.0.0.1'): Promise<{ url: string; port: number }> {
    if (this.server) throw new Error(`the engine is already listening at ${this.server.url}`);
    this.server = await listen(
      hostGuard(() => this.config.main.allowedHosts, this.app.respond),
      port,
      host,
    );
    this.logs.write('info', `serving ${this.appRoot} at ${this.server.url}`);
    return { url: this.server.url, port: this.server.port };
  }

  /**
   * Serves the connections another process accepts at `address` and deals to this one (an
   * instance of `pse serve --instances`); returns what takes each connection.
   */
  serveDealt(address: { host: string; port: number }): (socket: Socket) => void {
    if (this.server) throw new Error(`the engine is already listening at ${this.server.url}`);
    const dealt = serveDealt(hostGuard(() => this.config.main.allowedHosts, this.app.respond));
    const shown = address.host.includes(':') ? `[${address.host}]` : address.host;
    this.server = {
      url: `http://${shown}:${address.port}/`,
      port: address.port,
      host: address.host,
      close: dealt.close,
    };
    this.logs.write('info', `serving ${this.appRoot} at ${this.server.url}`);
    return dealt.accept;
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
    await this.logs.close();
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  /** Template errors and Python syntax errors (at template lines) of unsaved text, for editor markers. */
  compileCheck(file: string, text: string): Promise<LocatedError[]> {
    return checkText(this.pool, this.sources.tags, path.resolve(this.appRoot, file), text);
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
        this.logs.write(
          'error',
          `reload failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      });
    return this.reloading;
  }

  private async doReload(reason: string): Promise<void> {
    if (this.closed) return;
    let config: PseConfig;
    try {
      config = await loadConfig(this.appRoot, { production: this.production });
    } catch (err) {
      this.configRejected(err);
      return;
    }
    const python = await appPython(config, this.opts);
    const pool = makePool(config, python, this.sources, this.opts);
    // The new workers boot before the old ones go: a config that cannot boot keeps the old pool.
    try {
      await this.startPool(new StartingPool(pool));
    } catch (err) {
      this.configRejected(err);
      return;
    }
    const old = this.pool;
    const before = this.config;
    this.pool = pool;
    this.python = python;
    this.config = config;
    this.applySessionConfig(before.session, config.session);
    this.cache = new OutputCache(config.main.outputCacheDir);
    await old.handOver(pool);
    this.events.emit('reload', { reason, scope: 'config' } satisfies ReloadEvent);
  }

  /** A pse.conf that cannot be applied: the running configuration stays, the log says why. */
  private configRejected(err: unknown): void {
    if (!(err instanceof ConfigError)) throw err;
    this.logs.write(
      'error',
      `pse.conf not applied, the previous configuration keeps running:\n${err.message}`,
    );
    this.events.emit('config-error', err.issues);
  }

  /** Session options apply at once; the store and the journal stay (they hold the sessions). */
  private applySessionConfig(prev: PseConfig['session'], next: PseConfig['session']): void {
    const place = (s: PseConfig['session']): string =>
      JSON.stringify([s.type, s.file, s.database, s.table]);
    if (prev.enabled !== next.enabled || place(prev) !== place(next)) {
      this.logs.write(
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
        this.logs.write('error', `worker restart failed: ${String(err)}`),
      );
  }

  /** The session service (store, journal, admin API, live events); null when sessions are off. */
  get sessionService(): SessionService | null {
    return this.sessions;
  }
}
