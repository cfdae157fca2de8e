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
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newCookie } from './cannon.js';
import { loadAverage } from './load.js';
import { PG_URL, dropSchema } from './pg.js';
import { PEERS_DIR, copyExamples, startPse, stopPse } from './pse-server.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const THREADS = 2;
const CONNS = 32;
const WARMUP_SECONDS = 3;
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 2)));

/** The peers and their ports, as bench-peers' common.sh has them. */
const PEERS: [string, number][] = [
  ['mod_python', 18081],
  ['flask-sqlite', 18082],
  ['php-fpm', 18083],
  ['flask-cookie', 18084],
  ['flask-session', 18085],
  ['mod_python-event', 18086],
];

interface Scenario {
  name: string;
  /** path + query */
  url: string;
  cookies: 'none' | 'shared' | 'pool';
  expect: string;
}

const SCENARIOS: Scenario[] = [
  { name: 'hello', url: '/hello', cookies: 'none', expect: 'Hello, world!' },
  { name: 'sess-shared', url: '/session_example', cookies: 'shared', expect: 'Hello, Nick!' },
  { name: 'sess-per-conn', url: '/session_example', cookies: 'pool', expect: 'Hello, Nick!' },
  { name: 'sess-new', url: '/session_example?name=Nick', cookies: 'none', expect: 'Hello, Nick!' },
];

/** The peers' folder, when it holds their benchmark. */
function peersDir(): string | null {
  return existsSync(path.join(PEERS_DIR, 'wrk', 'bench.lua')) ? PEERS_DIR : null;
}

function exec(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

/** wrk is on PATH (`wrk --version` exits 1 after printing its version: only ENOENT counts). */
function hasWrk(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('wrk', ['--version'], (err) => {
      resolve((err as NodeJS.ErrnoException | null)?.code !== 'ENOENT');
    });
  });
}

async function wrk(
  wrkDir: string,
  seconds: number,
  url: string,
  cookieFile: string,
  expect: string,
): Promise<string> {
  const args = [`-t${THREADS}`, `-c${CONNS}`, `-d${seconds}s`, '--timeout', '5s', '--latency'];
  args.push('-s', 'bench.lua', url, '--', cookieFile, expect, String(THREADS));
  const out = await exec('wrk', args, wrkDir);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no RESULT line for ${url}:\n${out}`);
  return line;
}

export async function run(): Promise<string[]> {
  const dir = peersDir();
  if (!dir)
    return [`peers: no bench-peers folder (${PEERS_DIR}; set PSE_PEERS_DIR): nothing to compare`];
  if (!(await hasWrk())) return ['peers: wrk is not installed (see bench-peers/setup.sh): skipped'];
  const wrkDir = path.join(dir, 'wrk');
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-peers-'));
  // A copy, so that sess-new's ~10^4 sessions never land in the repository's examples/.pse.
  const app = copyExamples(path.join(tmp, 'app'));
  const lines = [
    `wrk -t${THREADS} -c${CONNS} -d${SECONDS}s --timeout 5s --latency -s ${path.join(wrkDir, 'bench.lua')} (run.sh's arguments)`,
    `load before: ${loadAverage()}`,
  ];
  const server = await startPse(app, { workers: process.env.PSE_BENCH_WORKERS });
  try {
    const shared = path.join(tmp, 'cookies-shared');
    const pool = path.join(tmp, 'cookies-pool');
    writeFileSync(shared, (await newCookie(server.url)) + '\n');
    const cookies: string[] = [];
    for (let i = 0; i < CONNS; i++) cookies.push(await newCookie(server.url));
    writeFileSync(pool, cookies.join('\n') + '\n');
    await wrk(wrkDir, WARMUP_SECONDS, `${server.url}/session_example`, shared, 'Hello, Nick!');
    for (const s of SCENARIOS) {
      const file = s.cookies === 'shared' ? shared : s.cookies === 'pool' ? pool : '-';
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

/** A peer that answers its /hello page now. */
async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/hello`, {
      signal: AbortSignal.timeout(2000),
    });
    return res.ok && (await res.text()).includes('Hello, world!');
  } catch {
    return false;
  }
}

/** requests/s of a RESULT line */
const rpsOf = (result: string): number => Number(/\brps=([\d.]+)/.exec(result)?.[1] ?? NaN);

/**
 * sess-per-conn with PSE on SQLite, PSE on PostgreSQL and every running peer taking turns in
 * rounds (forwards, then backwards), as run.sh does: a warm-up, then the window.
 */
async function perConnWithPeers(wrkDir: string, tmp: string): Promise<string[]> {
  const running: [string, number][] = [];
  for (const [name, port] of PEERS) if (await answers(port)) running.push([name, port]);
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
  writeFileSync(
    path.join(pgApp, 'pse.conf'),
    `[plugins.session]\nType = postgresql\nDatabase = ${PG_URL}\nTable = ${schema}.pse_session\n`,
  );
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
