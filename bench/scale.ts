/**
 * Two separately started `pse serve --production --shared-store` processes of one app behind a
 * real nginx (docs/nginx.conf as shipped: round robin, keep-alive to the processes), next to one
 * `pse serve --production` process loaded directly; the hello page and the session read path
 * (one cookie per connection), on the SQLite store (shared by the two processes) and on
 * PostgreSQL (PSE_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/test, in a schema of
 * its own, dropped afterwards). The same number of Python workers in all (PSE_BENCH_WORKERS,
 * default 2, split between the two processes). autocannon -c 32 from its own process. The
 * setups take turns in rounds (forwards, then backwards), each round's ratio is printed, and
 * the ratio of the sums.
 * PSE_BENCH_SECONDS: seconds per window (default 5); PSE_BENCH_ROUNDS (default 2).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NGINX, startNginx, type Nginx } from '../test/scale/processes.js';
import { CONNECTIONS, cannon, newCookie, type CannonResult } from './cannon.js';
import { loadAverage } from './load.js';
import { dropSchema } from './pg.js';
import { copyExamples, onPostgres, startPse, stopPse, type PseServer } from './pse-server.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 5);
const WORKERS = Number(process.env.PSE_BENCH_WORKERS ?? 2);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 2)));

type Store = 'SQLite' | 'PostgreSQL';
const STORES: Store[] = ['SQLite', 'PostgreSQL'];
const SETUPS = ['1 process', '2 processes behind nginx'] as const;
type SetupName = (typeof SETUPS)[number];
const SCENARIOS = [
  ['hello', '/hello'],
  ['session read', '/session_example'],
] as const;

/** one setup running: its URL and how to stop it */
interface Running {
  url: string;
  stop(): Promise<void>;
}

async function start(app: string, setup: SetupName): Promise<Running> {
  if (setup === '1 process') {
    const s = await startPse(app, { workers: String(WORKERS) });
    return { url: s.url, stop: () => stopPse(s) };
  }
  const each = String(Math.max(1, Math.round(WORKERS / 2)));
  const pses: PseServer[] = [];
  let nginx: Nginx | undefined;
  const stop = async (): Promise<void> => {
    await nginx?.stop();
    await Promise.all(pses.map(stopPse));
  };
  try {
    for (let i = 0; i < 2; i++)
      pses.push(await startPse(app, { workers: each, args: ['--shared-store'] }));
    nginx = await startNginx(pses.map((s) => Number(new URL(s.url).port)));
    return { url: nginx.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function run(): Promise<string[]> {
  if (!existsSync(NGINX))
    return [`scale: no nginx at ${NGINX} (Debian: apt-get install -y nginx): skipped`];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-scale-'));
  const schema = `pse_bench_scale_${process.pid}`;
  const lines = [
    `autocannon -c ${CONNECTIONS}, ${SECONDS} s windows, ${ROUNDS} rounds, ${WORKERS} Python workers in all`,
    `load before: ${loadAverage()}`,
  ];
  /** req/s of each window, by store|setup|scenario, one per round */
  const windows = new Map<string, CannonResult[]>();
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const store of STORES) {
        const order = round % 2 ? [...SETUPS].reverse() : SETUPS;
        for (const setup of order) {
          const app = copyExamples(
            path.join(tmp, `${round}-${store}-${setup.replace(/\W+/g, '-')}`),
          );
          if (store === 'PostgreSQL')
            onPostgres(app, `${schema}.pse_session_${round}_${setup === '1 process' ? 1 : 2}`);
          const server = await start(app, setup);
          try {
            const cookies: string[] = [];
            for (let i = 0; i < CONNECTIONS; i++) cookies.push(await newCookie(server.url));
            for (const [scenario, pathname] of SCENARIOS) {
              const jar = scenario === 'hello' ? [] : cookies;
              await cannon(server.url + pathname, 2, jar); // warm-up
              const r = await cannon(server.url + pathname, SECONDS, jar);
              const key = `${store}|${setup}|${scenario}`;
              windows.set(key, [...(windows.get(key) ?? []), r]);
            }
          } finally {
            await server.stop();
          }
        }
      }
    }
  } finally {
    await dropSchema(schema);
    rmSync(tmp, { recursive: true, force: true });
  }
  const sum = (rs: CannonResult[]): number => rs.reduce((t, r) => t + r.n, 0);
  const rate = (rs: CannonResult[]): number => sum(rs) / rs.reduce((t, r) => t + r.n / r.rps, 0);
  for (const store of STORES) {
    for (const [scenario] of SCENARIOS) {
      const one = windows.get(`${store}|1 process|${scenario}`)!;
      const two = windows.get(`${store}|2 processes behind nginx|${scenario}`)!;
      const errors = [...one, ...two].reduce((t, r) => t + r.errors, 0);
      lines.push(
        `${store.padEnd(10)} ${scenario.padEnd(12)} 1 process ${rate(one).toFixed(0).padStart(6)} req/s, ` +
          `2 behind nginx ${rate(two).toFixed(0).padStart(6)} req/s: ${(rate(two) / rate(one)).toFixed(2)}× ` +
          `(rounds ${one.map((r, i) => (two[i]!.rps / r.rps).toFixed(2)).join(', ')})` +
          (errors ? `  errors/non-2xx ${errors}` : ''),
      );
    }
  }
  lines.push(`load after: ${loadAverage()}`, `cores: ${os.availableParallelism()}`);
  return lines;
}
