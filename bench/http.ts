/**
 * The "hello" servlet through the engine's HTTP server, next to a bare node:http server (in a
 * child process) answering the same bytes, measured by autocannon from its own process: req/s,
 * p50/p99, Node CPU per request, and the ratio (target ≥ 35 %). The two take turns in rounds
 * (PSE first in odd rounds, bare first in even ones): bare node:http alone swings 23k–41k req/s
 * between runs on this shared machine, so each round's ratio compares windows a few seconds
 * apart, and the median of the rounds is the figure to quote.
 * PSE_BENCH_SECONDS: seconds per side in all (default 10); PSE_BENCH_ROUNDS (default 3).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const AUTOCANNON = path.join(ROOT, 'node_modules', '.bin', 'autocannon');
const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 3)));
const CONNECTIONS = 32;
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU µs per request of the server's Node process */
  cpuUs: number;
}

function autocannon(url: string, seconds: number): Promise<Omit<Load, 'cpuUs'> & { n: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      AUTOCANNON,
      ['-c', String(CONNECTIONS), '-d', String(seconds), '-j', url],
      { maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        if (err) return reject(new Error(`autocannon failed: ${err.message}`));
        const r = JSON.parse(stdout) as {
          requests: { total: number };
          duration: number;
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
        };
        resolve({
          // total / duration: the per-second average is skewed by a fractional last second
          rps: r.requests.total / r.duration,
          n: r.requests.total,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
        });
      },
    );
  });
}

/** utime+stime of a process in µs (ticks of 10 ms: fine over windows of ~100k requests). */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** One window of load on `url`, with the CPU the server process `pid` spent on it. */
async function measure(url: string, pid: number, seconds: number): Promise<Load> {
  const cpu0 = cpuOf(pid);
  const r = await autocannon(url, seconds);
  return { ...r, cpuUs: r.n > 0 ? (cpuOf(pid) - cpu0) / r.n : 0 };
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
  `${l.rps.toFixed(0).padStart(7)} req/s   p50 ${String(l.p50).padStart(4)} ms   p99 ${String(l.p99).padStart(4)} ms   node ${l.cpuUs.toFixed(1).padStart(5)} us/req` +
  (l.non2xx || l.errors ? `   (non-2xx ${l.non2xx}, errors ${l.errors})` : '');

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * The engine as `pse serve` runs it: compiled to dist/ (`npm run bench` builds it first), not
 * the sources through tsx, whose transform costs 1–2.5 % of Node's time on this path.
 */
async function builtEngine(): Promise<typeof import('../src/engine/engine.js')> {
  const file = path.join(ROOT, 'dist', 'engine', 'engine.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build:engine\` first`);
  return (await import(pathToFileURL(file).href)) as typeof import('../src/engine/engine.js');
}

export async function run(): Promise<string[]> {
  // as `pse serve --production` runs it: no request journal (Studio's history). Its sessions
  // stay shared (hello uses none, and examples/ may be open elsewhere).
  const { Engine } = await builtEngine();
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
      await autocannon(bare.url, 1);
      const window = SECONDS / ROUNDS;
      const lines = [
        `hello servlet, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${window.toFixed(1)} s per side, ${engine.config.main.workers} workers, ${sample.body.length}-byte page`,
      ];
      const ratios: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const pseFirst = round % 2 === 1;
        const first = await measure(
          pseFirst ? hello : bare.url,
          pseFirst ? process.pid : bare.child.pid!,
          window,
        );
        const second = await measure(
          pseFirst ? bare.url : hello,
          pseFirst ? bare.child.pid! : process.pid,
          window,
        );
        const [pse, node] = pseFirst ? [first, second] : [second, first];
        ratios.push(pse.rps / node.rps);
        lines.push(
          `  round ${round}  PSE engine      ${fmt(pse)}`,
          `           bare node:http  ${fmt(node)}`,
          `           ratio           ${pct(pse.rps / node.rps)}`,
        );
      }
      lines.push(
        `  median ratio of ${ROUNDS} rounds: ${pct(median(ratios))} of bare node:http (target >= 35 %)`,
      );
      return lines;
    } finally {
      bare.child.kill();
    }
  } finally {
    await engine.close();
  }
}
