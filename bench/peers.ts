/**
 * PSE measured exactly like the peer servers of a bench-peers folder (Apache mod_python,
 * Flask + gunicorn, PHP-FPM): `pse serve --production` on a copy of the examples app, then the
 * peers' own `wrk/bench.lua` with run.sh's arguments for the scenarios hello, sess-shared,
 * sess-per-conn and sess-new. Prints PSE's RESULT lines; the peers' rows come from their run.sh.
 * Missing peers or wrk is not a failure: one line says so.
 * Env: PSE_BENCH_SECONDS (10), PSE_BENCH_WORKERS (default: [Main] Workers), PSE_PEERS_DIR (the
 * peers' folder; default ../shared/bench-peers beside this repository).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadAverage } from './load.js';
import { PEERS_DIR, copyExamples, startPse, stopPse } from './pse-server.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 10);
const THREADS = 2;
const CONNS = 32;
const WARMUP_SECONDS = 3;

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

/** A new session holding name=Nick: its "name=value" cookie, as run.sh's new_cookie makes it. */
async function newCookie(base: string): Promise<string> {
  const res = await fetch(`${base}/session_example?name=Nick`);
  await res.text();
  const set = res.headers.getSetCookie()[0];
  if (!set)
    throw new Error(`${base}/session_example?name=Nick set no cookie (status ${res.status})`);
  return set.split(';')[0]!;
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
  lines.push(`load after: ${loadAverage()}`);
  return lines;
}
