/** `pse serve [APP]`: the HTTP server, until SIGINT or SIGTERM. */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { Engine } from '../../engine/index.js';
import { parsePositiveInt, reportFailure } from '../report.js';

interface ServeOptions {
  port: number;
  host: string;
  production?: boolean;
  workers?: number;
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
  let engine: Engine;
  try {
    engine = await Engine.open(appRoot, {
      production: opts.production,
      // a production server keeps no request journal (Studio's history): see EngineOptions.journal
      journal: !opts.production,
      // ... and keeps its session store to itself, served from memory: EngineOptions.exclusiveSessions
      exclusiveSessions: opts.production === true,
      workers: opts.workers,
      migrate: opts.migrate,
      log: (line) => {
        if (line.kind === 'access') {
          if (!opts.quiet) process.stdout.write(line.text + '\n');
        } else process.stderr.write(line.text + '\n');
      },
    });
  } catch (err) {
    return reportFailure(err, `cannot serve ${appRoot}`);
  }
  let url: string;
  try {
    ({ url } = await engine.listen(opts.port, opts.host));
  } catch (err) {
    await engine.close();
    return reportFailure(err, `cannot listen on ${opts.host}:${opts.port}`);
  }
  process.stdout.write(`PSE serving ${appRoot} at ${url}\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      stopping = true;
      process.stdout.write(`PSE stopping (${signal})\n`);
      engine.close().then(
        () => resolve(0),
        (err: unknown) => resolve(reportFailure(err, 'stopping')),
      );
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
