/** `pse serve [APP]`: the HTTP server, until SIGINT or SIGTERM; `--instances N` runs N of them. */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  instanceAddress,
  isInstance,
  leaveCluster,
  loadConfig,
  runInstance,
  type InstanceServer,
} from '../../engine/boot.js';
import type { Engine, PseConfig } from '../../engine/index.js';
import { openEngine } from '../open-engine.js';
import { parsePositiveInt, reportFailure } from '../report.js';

interface ServeOptions {
  port: number;
  host: string;
  production?: boolean;
  workers?: number;
  instances?: number;
  sharedStore?: boolean;
  quiet?: boolean;
  migrate: boolean;
}

const intArg =
  (what: string, min: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min)
      throw new InvalidArgumentError(`${what} must be a whole number of at least ${min}`);
    return n;
  };

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve an application over HTTP (a folder without pse.conf uses the defaults)')
    .argument('[app]', 'the application folder', '.')
    .option('-p, --port <port>', 'TCP port (0 = any free port)', intArg('--port', 0), 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--production', 'production mode: tracebacks are not shown in pages')
    .option('-w, --workers <n>', 'number of Python workers (default: [Main] Workers)', (v) =>
      parsePositiveInt(v, '--workers'),
    )
    .option(
      '-i, --instances <n>',
      'engine processes sharing the port, each with its workers (default: [Main] Instances)',
      intArg('--instances', 1),
    )
    .option(
      '--shared-store',
      'with --production: share the session store with other pse serve processes of the app',
    )
    .option('-q, --quiet', 'do not print the access log')
    .option(
      '--no-migrate',
      'a PostgreSQL session store: do not create or upgrade its schema at start (`pse db migrate`)',
    )
    .action(async (app: string, opts: ServeOptions) => {
      process.exitCode = await serve(path.resolve(app), opts);
    });
}

async function serve(appRoot: string, opts: ServeOptions): Promise<number> {
  if (isInstance()) {
    const code = await runInstance(() => startInstance(appRoot, opts)).catch((err: unknown) =>
      reportFailure(err, `cannot serve ${appRoot}`),
    );
    leaveCluster();
    return code;
  }
  let instances = opts.instances;
  // read once: the engine starts from it too
  let config: PseConfig | undefined;
  if (instances === undefined) {
    try {
      config = await loadConfig(appRoot, { production: opts.production });
      instances = config.main.instances;
    } catch (err) {
      return reportFailure(err, `cannot serve ${appRoot}`);
    }
  }
  if (instances > 1) {
    const { runPrimary } = await import('../../engine/index.js');
    return runPrimary({
      instances,
      port: opts.port,
      host: opts.host,
      appRoot,
      out: (line) => process.stdout.write(line + '\n'),
      err: (line) => process.stderr.write(line + '\n'),
    }).catch((err: unknown) => reportFailure(err, `cannot listen on ${opts.host}:${opts.port}`));
  }
  let server: Awaited<ReturnType<typeof start>>;
  try {
    server = await start(appRoot, opts, opts.sharedStore !== true, config);
  } catch (err) {
    return reportFailure(err, `cannot serve ${appRoot}`);
  }
  process.stdout.write(`PSE serving ${appRoot} at ${server.url}\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`PSE stopping (${signal})\n`);
      server.close().then(
        () => resolve(0),
        (err: unknown) => resolve(reportFailure(err, 'stopping')),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * Opens the engine and listens. `alone`: this is the app's only server, so `--production` may
 * keep the session store to itself; several processes (`--shared-store`) share it.
 */
async function start(
  appRoot: string,
  opts: ServeOptions,
  alone: boolean,
  config?: PseConfig,
): Promise<{ url: string; close(): Promise<void> }> {
  const engine = await open(appRoot, opts, alone, config);
  try {
    const { url } = await engine.listen(opts.port, opts.host);
    return { url, close: () => engine.close() };
  } catch (err) {
    await engine.close();
    throw new Error(
      `cannot listen on ${opts.host}:${opts.port}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** One instance of `pse serve --instances`: it shares the store and serves what the primary deals. */
async function startInstance(appRoot: string, opts: ServeOptions): Promise<InstanceServer> {
  const engine = await open(appRoot, opts, false);
  try {
    const accept = engine.serveDealt(instanceAddress());
    return { accept, close: () => engine.close() };
  } catch (err) {
    await engine.close();
    throw err;
  }
}

function open(
  appRoot: string,
  opts: ServeOptions,
  alone: boolean,
  config?: PseConfig,
): Promise<Engine> {
  return openEngine(
    appRoot,
    {
      production: opts.production,
      // a production server keeps no request journal (Studio's history): see EngineOptions.journal
      journal: !opts.production,
      // ... and keeps its session store to itself, served from memory: EngineOptions.exclusiveSessions
      exclusiveSessions: opts.production === true && alone,
      workers: opts.workers,
      migrate: opts.migrate,
      log: (line) => {
        if (line.kind === 'access') {
          if (!opts.quiet) process.stdout.write(line.text + '\n');
        } else process.stderr.write(line.text + '\n');
      },
    },
    config,
  );
}
