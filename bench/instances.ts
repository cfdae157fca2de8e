/**
 * `pse serve --production --instances N`: 1 instance (its session store exclusive, served from
 * memory), 1 instance sharing its store (`--shared-store`: what every process of a cluster
 * does), and 2 instances, their connections dealt in turn by the primary. The hello page and the session read path (one
 * session cookie per connection), autocannon -c 32 from its own process, the same number of
 * Python workers in all (PSE_BENCH_WORKERS, default 2, split among the instances). Reported:
 * req/s, and CPU µs per request of the Node processes (primary and instances) and of the
 * whole process tree (with the Python workers and the lock helpers), read from /proc: on a
 * machine with more cores the gain of N instances is bounded by those. The setups take turns
 * in rounds (forwards, then backwards), and each figure sums its rounds, so that a change in
 * the machine's load hits them alike.
 * PSE_BENCH_SECONDS: seconds per window (default 10); PSE_BENCH_ROUNDS (default 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONNECTIONS, cannon, newCookie } from './cannon.js';
import { loadAverage } from './load.js';
import { commOf, copyExamples, cpuOf, startPse, stopPse, treeOf } from './pse-server.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const WORKERS = Number(process.env.PSE_BENCH_WORKERS ?? 2);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 2)));

interface Setup {
  name: string;
  instances: number;
  args: string[];
}

const SETUPS: Setup[] = [
  { name: '1 instance', instances: 1, args: [] },
  { name: '1 instance, shared store', instances: 1, args: ['--shared-store'] },
  { name: '2 instances', instances: 2, args: [] },
];

interface Result {
  n: number;
  seconds: number;
  errors: number;
  /** CPU µs of the Node processes, and of the whole tree */
  node: number;
  all: number;
}

function add(a: Result | undefined, b: Result): Result {
  if (!a) return b;
  return {
    n: a.n + b.n,
    seconds: a.seconds + b.seconds,
    errors: a.errors + b.errors,
    node: a.node + b.node,
    all: a.all + b.all,
  };
}

const rps = (r: Result): number => r.n / r.seconds;
const nodeUs = (r: Result): number => r.node / r.n;
const allUs = (r: Result): number => r.all / r.n;

async function window(
  url: string,
  root: number,
  cookies: string[],
  seconds: number,
): Promise<Result> {
  const tree = treeOf(root);
  const node = tree.filter((pid) => commOf(pid).startsWith('node'));
  const sum = (pids: number[]): number => pids.reduce((s, pid) => s + cpuOf(pid), 0);
  const node0 = sum(node);
  const all0 = sum(tree);
  const r = await cannon(url, seconds, cookies);
  return {
    n: r.n,
    seconds: r.n / r.rps,
    errors: r.errors,
    node: sum(node) - node0,
    all: sum(tree) - all0,
  };
}

export async function run(): Promise<string[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-instances-'));
  const lines = [`load before: ${loadAverage()}`];
  const results = new Map<string, Result>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...SETUPS].reverse() : SETUPS;
      for (const s of order) {
        const app = copyExamples(path.join(tmp, `${round}-${s.name.replace(/\W+/g, '-')}`));
        const server = await startPse(app, {
          workers: String(Math.max(1, Math.round(WORKERS / s.instances))),
          args: ['--instances', String(s.instances), ...s.args],
        });
        try {
          const cookies: string[] = [];
          for (let i = 0; i < CONNECTIONS; i++) cookies.push(await newCookie(server.url));
          for (const [scenario, pathname, jar] of [
            ['hello', '/hello', []],
            ['session read', '/session_example', cookies],
          ] as const) {
            await window(server.url + pathname, server.child.pid!, [...jar], 2); // warm-up
            const r = await window(server.url + pathname, server.child.pid!, [...jar], SECONDS);
            const key = `${s.name}|${scenario}`;
            results.set(key, add(results.get(key), r));
          }
        } finally {
          await stopPse(server);
        }
      }
    }
    for (const s of SETUPS) {
      for (const scenario of ['hello', 'session read']) {
        const r = results.get(`${s.name}|${scenario}`)!;
        lines.push(
          `${s.name.padEnd(26)} ${scenario.padEnd(13)} ${rps(r).toFixed(0).padStart(6)} req/s  ` +
            `node ${nodeUs(r).toFixed(1)} µs/req, all processes ${allUs(r).toFixed(1)} µs/req` +
            (r.errors ? `  errors/non-2xx ${r.errors}` : ''),
        );
      }
    }
    for (const scenario of ['hello', 'session read']) {
      const one = results.get(`1 instance|${scenario}`)!;
      for (const s of SETUPS.slice(1)) {
        const r = results.get(`${s.name}|${scenario}`)!;
        lines.push(
          `${scenario}: ${s.name} / 1 instance = ${(rps(r) / rps(one)).toFixed(2)}× req/s, ` +
            `${(nodeUs(r) / nodeUs(one)).toFixed(2)}× node CPU/req, ${(allUs(r) / allUs(one)).toFixed(2)}× total CPU/req`,
        );
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  lines.push(`load after: ${loadAverage()}`, `cores: ${os.availableParallelism()}`);
  return lines;
}
