/**
 * The "hello" servlet through the engine's HTTP server, next to a bare node:http server (in a
 * child process) answering the same bytes, measured in the same run by autocannon from its own
 * process: requests/s, p50/p99, and the ratio (target ≥ 35 %).
 * PSE_BENCH_SECONDS shortens the runs (default 10).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from '../src/engine/engine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = path.join(ROOT, 'node_modules', '.bin', 'autocannon');
const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;

interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

function autocannon(url: string, seconds = SECONDS): Promise<Load> {
  return new Promise((resolve, reject) => {
    execFile(
      AUTOCANNON,
      ['-c', String(CONNECTIONS), '-d', String(seconds), '-j', url],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        if (err) return reject(new Error(`autocannon failed: ${err.message}`));
        const r = JSON.parse(stdout) as {
          requests: { average: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
        };
        resolve({
          rps: r.requests.average,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
        });
      },
    );
  });
}

/** A bare node:http server in its own process, answering `body` with the same headers. */
function bareServer(
  body: Buffer,
  contentType: string,
): Promise<{ url: string; child: ChildProcess }> {
  const script = `
    const http = require('node:http');
    const body = Buffer.from(process.env.BODY, 'base64');
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': process.env.CTYPE, 'Content-Length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, BODY: body.toString('base64'), CTYPE: contentType },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) =>
      resolve({ url: `http://127.0.0.1:${d.toString().trim()}/hello`, child }),
    );
  });
}

const fmt = (l: Load): string =>
  `${l.rps.toFixed(0).padStart(7)} req/s   p50 ${String(l.p50).padStart(4)} ms   p99 ${String(l.p99).padStart(4)} ms` +
  (l.non2xx || l.errors ? `   (non-2xx ${l.non2xx}, errors ${l.errors})` : '');

export async function run(): Promise<string[]> {
  // as `pse serve --production` runs it: no request journal (Studio's history)
  const engine = await Engine.open(path.join(ROOT, 'examples'), {
    production: true,
    journal: false,
    watch: false,
    logFiles: false,
  });
  try {
    const { url } = await engine.listen(0);
    const sample = await engine.handle({ method: 'GET', url: '/hello' });
    if (sample.status !== 200) throw new Error(`/hello answered ${sample.status}`);
    const contentType =
      sample.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? 'text/html';
    const bare = await bareServer(sample.body, contentType);
    try {
      const hello = new URL('hello', url).href;
      await autocannon(hello, 2); // warm-up: every worker has compiled the page
      const pse = await autocannon(hello);
      const node = await autocannon(bare.url);
      return [
        `hello servlet, ${CONNECTIONS} connections, ${SECONDS} s each, ${engine.config.main.workers} workers, ${sample.body.length}-byte page`,
        `  PSE engine      ${fmt(pse)}`,
        `  bare node:http  ${fmt(node)}`,
        `  ratio           ${((pse.rps / node.rps) * 100).toFixed(1)} % of bare node:http (target >= 35 %)`,
      ];
    } finally {
      bare.child.kill();
    }
  } finally {
    await engine.close();
  }
}
