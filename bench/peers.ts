/**
 * PSE measured exactly like the peer servers of a bench-peers folder (Apache mod_python,
 * Flask + gunicorn, PHP-FPM): `pse serve --production` on a copy of the examples app, then the
 * peers' own `wrk/bench.lua` with run.sh's arguments for the scenarios hello, sess-shared,
 * sess-per-conn and sess-new. Prints PSE's RESULT lines; the peers' rows come from their run.sh.
 * Missing peers or wrk is not a failure: one line says so.
 * Then "session read, one cookie per connection" (sess-per-conn) in rounds with every peer that
 * is running (`start.sh`, on its own port), PSE on SQLite and PSE with its store on PostgreSQL
 * (PSE_BENCH_PG, in a schema of its own, dropped afterwards) taking turns with them: each
 * round's PSE ÷ best peer. Goal: PSE on PostgreSQL ahead of every peer.
 * Env: PSE_BENCH_SECONDS (10), PSE_BENCH_WORKERS (default: [Main] Workers), PSE_BENCH_ROUNDS
 * (2, the rounds with the peers), PSE_PEERS_DIR (the peers' folder; default
 * ../shared/bench-peers beside this repository).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newCookie } from './cannon.js';
import { loadAverage } from './load.js';
import { dropSchema } from './pg.js';
import { PEERS_DIR, copyExamples, onPostgres, startPse, stopPse } from './pse-server.js';
import {
  CONNS,
  PEERS,
  SCENARIOS,
  THREADS,
  WARMUP_SECONDS,
  cookieFileFor,
  cookieFiles,
  hasWrk,
  rpsOf,
  runningPeers,
  wrk,
  wrkDir as peersWrkDir,
} from './wrk.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 2)));

export async function run(): Promise<string[]> {
  const wrkDir = peersWrkDir();
  if (!wrkDir)
    return [`peers: no bench-peers folder (${PEERS_DIR}; set PSE_PEERS_DIR): nothing to compare`];
  if (!(await hasWrk())) return ['peers: wrk is not installed (see bench-peers/setup.sh): skipped'];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-peers-'));
  // A copy, so that sess-new's ~10^4 sessions never land in the repository's examples/.pse.
  const app = copyExamples(path.join(tmp, 'app'));
  const lines = [
    `wrk -t${THREADS} -c${CONNS} -d${SECONDS}s --timeout 5s --latency -s ${path.join(wrkDir, 'bench.lua')} (run.sh's arguments)`,
    `load before: ${loadAverage()}`,
  ];
  const server = await startPse(app, { workers: process.env.PSE_BENCH_WORKERS });
  try {
    const files = await cookieFiles(server.url, path.join(tmp, 'cookies'));
    await wrk(
      wrkDir,
      WARMUP_SECONDS,
      `${server.url}/session_example`,
      files.shared,
      'Hello, Nick!',
    );
    for (const s of SCENARIOS) {
      const file = cookieFileFor(s, files);
      const result = await wrk(wrkDir, SECONDS, server.url + s.url, file, s.expect);
      lines.push(`pse ${s.name.padEnd(14)} ${result}`);
    }
  } finally {
    await stopPse(server);
    rmSync(tmp, { recursive: true, force: true });
  }
  lines.push(...(await perConnWithPeers(wrkDir, tmp)));
  lines.push(`load after: ${loadAverage()}`);
  return lines;
}

/**
 * sess-per-conn with PSE on SQLite, PSE on PostgreSQL and every running peer taking turns in
 * rounds (forwards, then backwards), as run.sh does: a warm-up, then the window.
 */
async function perConnWithPeers(wrkDir: string, tmp: string): Promise<string[]> {
  const running = await runningPeers();
  const lines = [
    'session read, one cookie per connection (sess-per-conn), in rounds with the peers:',
  ];
  if (!running.length)
    return [
      ...lines,
      `  no peer answers on ${PEERS.map(([, p]) => p).join(', ')}: start them (bench-peers: setup.sh as root, then start.sh)`,
    ];
  const missing = PEERS.filter(([n]) => !running.some(([r]) => r === n)).map(([n]) => n);
  if (missing.length) lines.push(`  not running (not compared): ${missing.join(', ')}`);
  const schema = `pse_bench_peers_${process.pid}`;
  const pgApp = copyExamples(path.join(tmp, 'pg-app'));
  onPostgres(pgApp, `${schema}.pse_session`);
  const sqlite = await startPse(copyExamples(path.join(tmp, 'sqlite-app')), {
    workers: process.env.PSE_BENCH_WORKERS,
  });
  let pg: Awaited<ReturnType<typeof startPse>> | undefined;
  try {
    pg = await startPse(pgApp, { workers: process.env.PSE_BENCH_WORKERS });
    const servers: [string, string][] = [
      ['pse SQLite', sqlite.url],
      ['pse PostgreSQL', pg.url],
      ...running.map(([n, p]): [string, string] => [n, `http://127.0.0.1:${p}`]),
    ];
    const pools = new Map<string, string>();
    for (const [name, url] of servers) {
      const cookies: string[] = [];
      for (let i = 0; i < CONNS; i++) cookies.push(await newCookie(url));
      const file = path.join(tmp, `pool-${name.replace(/\W+/g, '-')}`);
      writeFileSync(file, cookies.join('\n') + '\n');
      pools.set(name, file);
    }
    const rps = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const [name, url] of order) {
        const page = `${url}/session_example`;
        await wrk(wrkDir, WARMUP_SECONDS, page, pools.get(name)!, 'Hello, Nick!');
        const result = await wrk(wrkDir, SECONDS, page, pools.get(name)!, 'Hello, Nick!');
        lines.push(`  round ${round + 1} ${name.padEnd(16)} ${result}`);
        rps.set(name, [...(rps.get(name) ?? []), rpsOf(result)]);
      }
    }
    for (const pse of ['pse PostgreSQL', 'pse SQLite']) {
      const ratios = Array.from({ length: ROUNDS }, (_, round) => {
        const [best, bestRps] = running
          .map(([n]): [string, number] => [n, rps.get(n)![round]!])
          .reduce((a, b) => (b[1] > a[1] ? b : a));
        return `${(rps.get(pse)![round]! / bestRps).toFixed(2)} (${best})`;
      });
      lines.push(
        `  ${pse} ÷ best peer of the round: ${ratios.join(', ')}${pse === 'pse PostgreSQL' ? ' (goal > 1 in every round)' : ''}`,
      );
    }
    const pgRatios = rps
      .get('pse PostgreSQL')!
      .map((r, i) => (r / rps.get('pse SQLite')![i]!).toFixed(2));
    lines.push(`  pse PostgreSQL ÷ pse SQLite: ${pgRatios.join(', ')}`);
  } finally {
    if (pg) await stopPse(pg);
    await stopPse(sqlite);
    await dropSchema(schema);
  }
  return lines;
}
