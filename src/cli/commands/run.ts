/** `pse run FILE.pt`: run one servlet in-process (the same path as a request) and print the response. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { CONF_NAME } from '../../engine/boot.js';
import type { Engine, EngineResponse } from '../../engine/index.js';
import { openEngine } from '../open-engine.js';
import { EXIT_FAILED, EXIT_USAGE, reportFailure } from '../report.js';

interface RunOptions {
  query?: string;
  method: string;
  data?: string;
  contentType?: string;
  cookie: string[];
  header: string[];
  headers?: boolean;
  app?: string;
  production?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run one servlet and print its response')
    .argument('<file>', 'the servlet (.pt)')
    .option('-q, --query <query>', "query string, e.g. 'a=1&b=2'")
    .option('-X, --method <method>', 'request method', 'GET')
    .option(
      '-d, --data <body>',
      'request body (urlencoded unless --content-type says otherwise); implies POST',
    )
    .option('--content-type <type>', 'Content-Type of --data', 'application/x-www-form-urlencoded')
    .option('-c, --cookie <k=v>', 'a cookie (repeatable)', collect, [])
    .option('-H, --header <name: value>', 'a request header (repeatable)', collect, [])
    .option('-i, --headers', 'print the status line and headers before the body')
    .option(
      '--app <dir>',
      'the application root (default: the nearest folder above FILE with a pse.conf, else its folder)',
    )
    .option('--production', 'production mode: no traceback in the page')
    .action(async (file: string, opts: RunOptions) => {
      process.exitCode = await runOne(path.resolve(file), opts);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function findAppRoot(file: string): string {
  let dir = path.dirname(file);
  for (;;) {
    if (existsSync(path.join(dir, CONF_NAME))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.dirname(file);
    dir = up;
  }
}

async function runOne(file: string, opts: RunOptions): Promise<number> {
  if (!existsSync(file) || !statSync(file).isFile()) {
    process.stderr.write(`pse run: ${file}: no such file\n`);
    return EXIT_USAGE;
  }
  if (path.extname(file) !== '.pt') {
    process.stderr.write(
      `pse run: ${file}: a servlet is a .pt template (its .py code module runs with it)\n`,
    );
    return EXIT_USAGE;
  }
  const appRoot = opts.app ? path.resolve(opts.app) : findAppRoot(file);
  const rel = path.relative(appRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    process.stderr.write(`pse run: ${file} is not inside the application ${appRoot}\n`);
    return EXIT_USAGE;
  }
  const headers: Record<string, string> = {};
  for (const h of opts.header) {
    const i = h.indexOf(':');
    if (i <= 0) {
      process.stderr.write(`pse run: --header '${h}' must look like 'Name: value'\n`);
      return EXIT_USAGE;
    }
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (opts.cookie.length) headers['cookie'] = opts.cookie.join('; ');
  if (opts.data !== undefined)
    headers['content-type'] ??= opts.contentType ?? 'application/x-www-form-urlencoded';
  const method =
    opts.data !== undefined && opts.method === 'GET' ? 'POST' : opts.method.toUpperCase();
  const url =
    '/' +
    rel.split(path.sep).map(encodeURIComponent).join('/') +
    (opts.query ? `?${opts.query.replace(/^\?/, '')}` : '');

  let engine: Engine;
  try {
    engine = await openEngine(appRoot, {
      production: opts.production,
      workers: 1,
      watch: false,
      logFiles: false,
      log: (l) => l.kind === 'error' && process.stderr.write(l.text + '\n'),
    });
  } catch (err) {
    return reportFailure(err, `cannot run ${file}`);
  }
  let res: EngineResponse;
  try {
    res = await engine.handle({ method, url, headers, body: opts.data });
  } finally {
    await engine.close();
  }
  if (opts.headers) {
    process.stdout.write(
      `HTTP ${res.status}\n${res.headers.map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n`,
    );
  }
  process.stdout.write(res.body);
  if (res.error && !opts.headers) process.stderr.write(`${res.error.text}\n`);
  return res.status >= 500 ? EXIT_FAILED : 0;
}
