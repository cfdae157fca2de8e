/**
 * The first stage of opening an engine: pse.conf read, Python found, the workers starting. It
 * loads only the configuration, the pool and the template compiler, so that `pse serve` can
 * start its Python workers before it loads the rest of the engine (the HTTP core, the session
 * store, the journal): the workers' boot and Node's loading then overlap instead of following
 * one another. `Engine.open` begins here too.
 *
 * It starts the session locks' helper (a shared SQLite store's) too, for the same reason.
 *
 * It is the engine's second door, next to index.ts: the CLI imports from here what it needs
 * before a command has loaded the rest (the version, pse.conf, `--instances`' roles).
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig, toWorkerConfig, type PseConfig } from './config/index.js';
import { WorkerPool, type StartInfo } from './runtime/pool.js';
import type { LogMsg } from './runtime/protocol.js';
import { resolvePython } from './runtime/python.js';
import type { LogSubject } from './runtime/run.js';
import { TemplateSources } from './runtime/sources.js';
import { fileLocksFor, type FileSessionLocks } from './session/file-locks.js';
import { compileTemplate } from './template/index.js';

export { CONF_NAME, ConfigError, loadConfig } from './config/index.js';
export { PACKAGE_ROOT, PSE_VERSION } from './paths.js';
export {
  instanceAddress,
  isInstance,
  leaveCluster,
  runInstance,
  type InstanceServer,
} from './cluster/instance.js';

export interface BootOptions {
  /** ShowTracebacks defaults to no */
  production?: boolean;
  /** overrides [Main] PythonExecutable */
  python?: string;
  /** overrides [Main] Workers */
  workers?: number;
  /**
   * keep the session store to this process (default false): its file is locked for the
   * engine's lifetime, and sessions are served from memory, written through to the file.
   * `pse serve --production` passes true; `pse studio`, `pse run` and a second server of the
   * app then cannot open the store (they say so, naming the file).
   */
  exclusiveSessions?: boolean;
  /** keep sessions in this SQLite file instead of the store pse.conf names (`pse test`) */
  sessionFile?: string;
}

/** The session settings an app runs with: pse.conf's, or `sessionFile`'s store in their place. */
export function sessionSettings(config: PseConfig, opts: BootOptions): PseConfig['session'] {
  return opts.sessionFile
    ? { ...config.session, type: 'sqlite', file: opts.sessionFile }
    : config.session;
}

/** One log line of the pool, as its 'log' event gives it. */
export type PoolLogLine = [
  level: LogMsg['level'],
  msg: string,
  worker?: number,
  about?: LogSubject,
];
export type PoolLogListener = (...line: PoolLogLine) => void;

/**
 * A pool whose workers are starting. Its log lines until someone listens are held, not lost (a
 * plugin's warning at import, a worker's stderr), and handed to the first listener.
 */
export class StartingPool {
  private held: PoolLogLine[] = [];
  private readonly hold: PoolLogListener = (...line) => this.held.push(line);
  private readonly start: Promise<StartInfo>;

  constructor(readonly pool: WorkerPool) {
    pool.on('log', this.hold);
    this.start = pool.start();
    // a failed start is reported to whoever calls ready() or abandon()
    this.start.catch(() => undefined);
  }

  /** `listener` hears the pool's log lines, the held ones first; resolves once the workers are ready. */
  ready(listener: PoolLogListener): Promise<StartInfo> {
    this.pool.off('log', this.hold);
    for (const line of this.held.splice(0)) listener(...line);
    this.pool.on('log', listener);
    return this.start;
  }

  /** Stops the workers, once their start has ended either way: the rest of the start failed. */
  async abandon(): Promise<void> {
    await this.start.catch(() => undefined);
    await this.pool.stop();
  }
}

export interface BootedApp {
  config: PseConfig;
  /** the Python executable the workers run */
  python: string;
  sources: TemplateSources;
  workers: StartingPool;
  /**
   * the session store's file locks, their helper booting beside the workers (null: the store
   * is not a file other processes share); whoever gives the start up closes them
   */
  locks: FileSessionLocks | null;
}

/**
 * Reads pse.conf (defaults when absent; `loaded`: read already, with the same `production`),
 * resolves Python and starts the workers, without waiting for them.
 */
export async function bootWorkers(
  appRoot: string,
  opts: BootOptions = {},
  loaded?: PseConfig,
): Promise<BootedApp> {
  const st = await stat(appRoot).catch(() => null);
  if (!st?.isDirectory())
    throw new Error(
      `${path.resolve(appRoot)} is not a folder: an application is a folder of .pt pages`,
    );
  const config = loaded ?? (await loadConfig(appRoot, { production: opts.production }));
  const python = await appPython(config, opts);
  const sources = new TemplateSources(compileTemplate);
  const workers = new StartingPool(makePool(config, python, sources, opts));
  // The helper of a shared store's locks is a Python process too: started now, it boots
  // while the rest of the engine loads, instead of after it (the listen waits for it).
  const locks = fileLocksFor(
    sessionSettings(config, opts),
    opts.exclusiveSessions === true,
    python,
  );
  return { config, python, sources, workers, locks };
}

/** The Python executable of an app: the override, else [Main] PythonExecutable, else found. */
export async function appPython(config: PseConfig, opts: BootOptions): Promise<string> {
  // errors about PythonExecutable point at pse.conf when there is one
  const place = config.fromFile ? { file: config.confFile, line: 0 } : undefined;
  return (await resolvePython(opts.python ?? config.main.pythonExecutable, place)).executable;
}

/** A pool of the app's workers, not started. */
export function makePool(
  config: PseConfig,
  python: string,
  sources: TemplateSources,
  opts: BootOptions,
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
