/**
 * The development server (`pse serve` without `--production`: Studio's request journal on,
 * every request recorded) against `pse serve --production`, on the session read path (the
 * session example, one cookie per connection), autocannon -c 32 from its own process. The two
 * take turns in rounds (forwards, then backwards); each round's ratio is printed. Goal: the
 * development server at ≥ 80 % of production.
 * PSE_BENCH_SECONDS: seconds per window (default 5); PSE_BENCH_ROUNDS (default 3);
 * PSE_BENCH_WORKERS (default 2).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CONNECTIONS, cannon, newCookie } from './cannon.js';
import { loadAverage } from './load.js';
import { copyExamples, startPse, stopPse } from './pse-server.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 3)));
const WORKERS = process.env.PSE_BENCH_WORKERS ?? '2';
const GOAL = 0.8;

export async function run(): Promise<string[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-modes-'));
  const lines = [
    `session read, one cookie per connection, autocannon -c ${CONNECTIONS}, ${SECONDS} s windows, ${WORKERS} workers`,
    `load before: ${loadAverage()}`,
  ];
  const ratios: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const rps = new Map<boolean, number>();
      const order = round % 2 ? [false, true] : [true, false];
      for (const development of order) {
        const app = copyExamples(path.join(tmp, `${round}-${development ? 'dev' : 'prod'}`));
        const server = await startPse(app, { development, workers: WORKERS });
        try {
          const cookies: string[] = [];
          for (let i = 0; i < CONNECTIONS; i++) cookies.push(await newCookie(server.url));
          const url = `${server.url}/session_example`;
          await cannon(url, 2, cookies); // warm-up
          const r = await cannon(url, SECONDS, cookies);
          if (r.errors) throw new Error(`${r.errors} errors/non-2xx on ${url}`);
          rps.set(development, r.rps);
        } finally {
          await stopPse(server);
        }
      }
      const ratio = rps.get(true)! / rps.get(false)!;
      ratios.push(ratio);
      lines.push(
        `round ${round + 1}: development ${rps.get(true)!.toFixed(0)} req/s, --production ${rps.get(false)!.toFixed(0)} req/s: ${(ratio * 100).toFixed(1)} %`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  lines.push(
    `development ÷ --production, session read: median ${(median * 100).toFixed(1)} % of ${ROUNDS} rounds (goal ≥ ${GOAL * 100} %)`,
    `load after: ${loadAverage()}`,
  );
  return lines;
}
