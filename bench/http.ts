/**
 * The "hello" servlet through `pse serve --production` (the built command, on a copy of
 * examples/, its access log written as a user's server writes it), next to a bare node:http
 * server (in a child process) answering the same bytes, measured by autocannon from its own
 * process: req/s, p50/p99, CPU per request of Node and of the Python workers, and the ratio
 * (goal ≥ 50 %). The two take turns in rounds (PSE first in odd rounds, bare first in even
 * ones): bare node:http alone swings 23k–43k req/s between runs on this shared machine, so each
 * round's ratio compares windows a few seconds apart, and the median of the rounds is the
 * figure to quote. One more round, for information, runs a development server.
 * PSE_BENCH_SECONDS: seconds per side in all (default 10); PSE_BENCH_ROUNDS (default 3).
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bareServer } from './bare.js';
import { loadAverage } from './load.js';
import { ROOT, childrenOf, copyExamples, cpuOf, startPse, stopPse } from './pse-server.js';

const AUTOCANNON = path.join(ROOT, 'node_modules', '.bin', 'autocannon');
const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 3)));
const CONNECTIONS = 32;

interface Load {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** CPU µs per request of the server's Node process */
  cpuUs: number;
  /** CPU µs per request of its Python workers, all together */
  pyUs: number;
}

function autocannon(
  url: string,
  seconds: number,
): Promise<Omit<Load, 'cpuUs' | 'pyUs'> & { n: number }> {
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

/**
 * One window of load on `url`, with the CPU the server process `pid` and its Python `workers`
 * spent on it.
 */
async function measure(
  url: string,
  pid: number,
  seconds: number,
  workers: number[],
): Promise<Load> {
  const py = (): number => workers.reduce((sum, w) => sum + cpuOf(w), 0);
  const cpu0 = cpuOf(pid);
  const py0 = py();
  const r = await autocannon(url, seconds);
  const per = (us: number): number => (r.n > 0 ? us / r.n : 0);
  return { ...r, cpuUs: per(cpuOf(pid) - cpu0), pyUs: per(py() - py0) };
}

const fmt = (l: Load): string =>
  `${l.rps.toFixed(0).padStart(7)} req/s   p50 ${String(l.p50).padStart(4)} ms   p99 ${String(l.p99).padStart(4)} ms   node ${l.cpuUs.toFixed(1).padStart(5)} us/req` +
  (l.pyUs ? `   python ${l.pyUs.toFixed(1).padStart(5)} us/req` : '') +
  (l.non2xx || l.errors ? `   (non-2xx ${l.non2xx}, errors ${l.errors})` : '');

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * For information, one round of a development server (`pse serve` without `--production`): it
 * records every request in Studio's journal (request, response, session trace) for the
 * inspector and replay, which production servers do not.
 */
async function development(
  app: string,
  bare: { url: string; child: ChildProcess },
  seconds: number,
): Promise<string[]> {
  const server = await startPse(copyExamples(app), { development: true });
  try {
    const hello = `${server.url}/hello`;
    await autocannon(hello, 2);
    const pid = server.child.pid!;
    const dev = await measure(hello, pid, seconds, childrenOf(pid));
    const node = await measure(bare.url, bare.child.pid!, seconds, []);
    return [
      `  development server (no --production: Studio's request journal on), for information:`,
      `           pse serve       ${fmt(dev)}`,
      `           bare node:http  ${fmt(node)}`,
      `           ratio           ${pct(dev.rps / node.rps)}`,
    ];
  } finally {
    await stopPse(server);
  }
}

export async function run(): Promise<string[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-http-'));
  const server = await startPse(copyExamples(path.join(tmp, 'app')));
  try {
    const hello = `${server.url}/hello`;
    const sample = await fetch(hello);
    const body = Buffer.from(await sample.arrayBuffer());
    if (sample.status !== 200) throw new Error(`/hello answered ${sample.status}`);
    const bare = await bareServer(body, sample.headers.get('content-type') ?? 'text/html');
    try {
      await autocannon(hello, 2); // warm-up: every worker has compiled the page
      await autocannon(bare.url, 1);
      const window = SECONDS / ROUNDS;
      const pid = server.child.pid!;
      const workers = childrenOf(pid);
      const lines = [
        `pse serve --production, hello servlet, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${window.toFixed(1)} s per side, ${workers.length} workers, ${body.length}-byte page`,
        `load before: ${loadAverage()}`,
      ];
      const ratios: number[] = [];
      for (let round = 1; round <= ROUNDS; round++) {
        const pseFirst = round % 2 === 1;
        const first = await measure(
          pseFirst ? hello : bare.url,
          pseFirst ? pid : bare.child.pid!,
          window,
          pseFirst ? workers : [],
        );
        const second = await measure(
          pseFirst ? bare.url : hello,
          pseFirst ? bare.child.pid! : pid,
          window,
          pseFirst ? [] : workers,
        );
        const [pse, node] = pseFirst ? [first, second] : [second, first];
        ratios.push(pse.rps / node.rps);
        lines.push(
          `  round ${round}  pse serve       ${fmt(pse)}`,
          `           bare node:http  ${fmt(node)}`,
          `           ratio           ${pct(pse.rps / node.rps)}`,
        );
      }
      lines.push(
        `  median ratio of ${ROUNDS} rounds: ${pct(median(ratios))} of bare node:http (goal ≥ 50 %)`,
        ...(await development(path.join(tmp, 'dev-app'), bare, window)),
        `load after: ${loadAverage()}`,
      );
      return lines;
    } finally {
      bare.child.kill();
    }
  } finally {
    await stopPse(server);
    rmSync(tmp, { recursive: true, force: true });
  }
}
