/**
 * Session benchmark: the session example (examples/session_example.pt/.py) over HTTP, measured
 * with the autocannon CLI (-c 32 -d 10), next to a bare node:http server as the baseline.
 *   no cookie — the same page without a session: the engine alone, for comparison
 *   read   — a cookie of a session that knows the name: lock + load + unpickle, no commit.
 *            One session's requests never interleave (docs/language.md, Sessions), so 32 connections on one
 *            cookie are served one at a time: this is the latency of one request, inverted
 *   write  — the same session, a new name per request: every request commits (FIFO per session)
 *   create — no cookie, a new name per request: every request creates a session
 * then read and write again with the session store on PostgreSQL (PSE_BENCH_PG, default
 * postgresql://postgres@127.0.0.1:5432/test, in a throwaway schema), and their ratio to SQLite.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { parseSetCookie } from 'cookie';
import { Engine } from '../src/engine/engine.js';
import { PG_URL, dropSchema } from './pg.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const AUTOCANNON = path.join(ROOT, 'node_modules/.bin/autocannon');
const DURATION = process.env.PSE_BENCH_SECONDS ?? '10';

interface Cannon {
  rps: number;
  p99: number;
  errors: number;
  non2xx: number;
}

/** The JSON summary a load-generator process prints, once it has exited cleanly. */
function summaryOf(p: ChildProcessByStdio<null, Readable, Readable>): Promise<Cannon> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      if (code !== 0 || !out.trim()) return reject(new Error(`autocannon exited ${code}: ${err}`));
      resolve(summary(out));
    });
  });
}

function cannon(url: string, extra: string[] = []): Promise<Cannon> {
  return summaryOf(
    spawn(AUTOCANNON, ['-c', '32', '-d', DURATION, '-j', ...extra, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

/**
 * A new name per request. The CLI's `--idReplacement` sends no request at all here (autocannon
 * 8), so these runs use its API with `setupRequest`, in a child process all the same so that
 * the load generator never shares the engine's event loop.
 */
function cannonNames(url: string, cookie?: string): Promise<Cannon> {
  const script = `
    import autocannon from 'autocannon';
    let n = 0;
    const r = await autocannon({
      url: ${JSON.stringify(url)}, connections: 32, duration: ${Number(DURATION)},
      headers: ${JSON.stringify(cookie ? { cookie } : {})},
      requests: [{ setupRequest: (req) => ({ ...req, path: req.path + '?name=n' + (n++) }) }],
    });
    process.stdout.write(JSON.stringify(r));`;
  return summaryOf(
    spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

function summary(json: string): Cannon {
  const r = JSON.parse(json) as {
    requests: { average: number };
    latency: { p99: number };
    errors: number;
    non2xx: number;
  };
  return { rps: r.requests.average, p99: r.latency.p99, errors: r.errors, non2xx: r.non2xx };
}

function line(name: string, c: Cannon, base?: Cannon): string {
  const ratio = base ? `  (${((c.rps / base.rps) * 100).toFixed(1)}% of bare node:http)` : '';
  const bad = c.errors || c.non2xx ? `  errors ${c.errors}, non-2xx ${c.non2xx}` : '';
  return `${name.padEnd(28)} ${c.rps.toFixed(0).padStart(7)} req/s   p99 ${String(c.p99).padStart(4)} ms${ratio}${bad}`;
}

async function baseline(): Promise<Cannon> {
  const page = Buffer.from(
    fs
      .readFileSync(path.join(ROOT, 'examples/session_example.pt'), 'utf8')
      .replace(/<\?[^]*?\?>/g, ''),
  );
  const server = http.createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': page.length,
    });
    res.end(page);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  try {
    return await cannon(`http://127.0.0.1:${port}/`);
  } finally {
    await new Promise((r) => server.close(r));
  }
}

/** The session example's read and write paths on one engine (its app's store). */
async function readWrite(
  app: string,
  base: Cannon,
  label: string,
  lines: string[],
): Promise<{ read: Cannon; write: Cannon; page: string; engine: Engine }> {
  const engine = await Engine.open(app, { watch: false, logFiles: false, production: true });
  try {
    const { url } = await engine.listen(0);
    const page = `${url.replace(/\/$/, '')}/session_example.pt`;
    const res = await fetch(`${page}?name=Nick`);
    const c = parseSetCookie(res.headers.getSetCookie()[0]!);
    const cookie = `${c.name}=${c.value}`;
    // Warm-up: workers compile the servlet and fill their caches before anything is measured.
    await Promise.all(
      Array.from({ length: 50 }, () => fetch(page, { headers: { cookie } }).then((r) => r.text())),
    );
    const read = await cannon(page, ['-H', `Cookie=${cookie}`]);
    lines.push(line(`read (cookie)${label}`, read, base));
    const write = await cannonNames(page, cookie);
    lines.push(line(`write (one session)${label}`, write, base));
    return { read, write, page, engine };
  } catch (err) {
    await engine.close();
    throw err;
  }
}

export async function run(): Promise<string[]> {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-bench-session-'));
  for (const f of ['session_example.pt', 'session_example.py'])
    fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(app, f));
  const lines: string[] = [`autocannon -c 32 -d ${DURATION}, ${os.cpus().length} cores`];
  const base = await baseline();
  lines.push(line('bare node:http', base));
  const pgApp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-bench-session-pg-'));
  const schema = `pse_bench_${process.pid}`;
  try {
    const sqlite = await readWrite(app, base, '', lines);
    try {
      const stranger = await cannon(sqlite.page);
      lines.splice(2, 0, line('no cookie (no session)', stranger, base));
      const create = await cannonNames(sqlite.page);
      lines.push(line('create (new session each)', create, base));
      const total = await sqlite.engine.sessionService!.admin.listSessions({ limit: 1 });
      lines.push(`sessions in the store after the run: ${total.total}`);
    } finally {
      await sqlite.engine.close();
    }
    // The same paths on PostgreSQL (PSE_BENCH_PG, default the development server), in a
    // throwaway schema.
    for (const f of ['session_example.pt', 'session_example.py'])
      fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(pgApp, f));
    fs.writeFileSync(
      path.join(pgApp, 'pse.conf'),
      `[plugins.session]\nType = postgresql\nDatabase = ${PG_URL}\nTable = ${schema}.pse_session\n`,
    );
    const pg = await readWrite(pgApp, base, ' PostgreSQL', lines);
    await pg.engine.close();
    lines.push(
      `PostgreSQL / SQLite: read ${((pg.read.rps / sqlite.read.rps) * 100).toFixed(0)}%, write ${((pg.write.rps / sqlite.write.rps) * 100).toFixed(0)}%`,
    );
  } finally {
    await dropSchema(schema);
    fs.rmSync(app, { recursive: true, force: true });
    fs.rmSync(pgApp, { recursive: true, force: true });
  }
  return lines;
}
