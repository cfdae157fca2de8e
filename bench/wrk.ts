/**
 * The peers' own load harness: wrk with bench-peers' `wrk/bench.lua` and run.sh's arguments
 * (2 threads × 32 connections, every response's status and body checked), the peers' ports,
 * and the scenarios of their run.sh. Shared by `peers` and `goals`, so that PSE and the peers
 * are always loaded the same way.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newCookie } from './cannon.js';
import { PEERS_DIR } from './pse-server.js';

export const THREADS = 2;
export const CONNS = 32;
export const WARMUP_SECONDS = 3;

/** The peers and their ports, as bench-peers' common.sh has them. */
export const PEERS: [string, number][] = [
  ['mod_python', 18081],
  ['flask-sqlite', 18082],
  ['php-fpm', 18083],
  ['flask-cookie', 18084],
  ['flask-session', 18085],
  ['mod_python-event', 18086],
];

export type ScenarioName = 'hello' | 'sess-shared' | 'sess-per-conn' | 'sess-new';

export interface Scenario {
  name: ScenarioName;
  /** path + query */
  url: string;
  /** no cookie, one cookie for every connection, or one per connection */
  cookies: 'none' | 'shared' | 'pool';
  expect: string;
}

export const SCENARIOS: Scenario[] = [
  { name: 'hello', url: '/hello', cookies: 'none', expect: 'Hello, world!' },
  { name: 'sess-shared', url: '/session_example', cookies: 'shared', expect: 'Hello, Nick!' },
  { name: 'sess-per-conn', url: '/session_example', cookies: 'pool', expect: 'Hello, Nick!' },
  { name: 'sess-new', url: '/session_example?name=Nick', cookies: 'none', expect: 'Hello, Nick!' },
];

/** The peers' `wrk` folder, when it holds their benchmark script. */
export function wrkDir(): string | null {
  const dir = path.join(PEERS_DIR, 'wrk');
  return existsSync(path.join(dir, 'bench.lua')) ? dir : null;
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
export function hasWrk(): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('wrk', ['--version'], (err) => {
      resolve((err as NodeJS.ErrnoException | null)?.code !== 'ENOENT');
    });
  });
}

/** One window of bench.lua on `url`; its RESULT line. `cookieFile` `-` sends no cookie. */
export async function wrk(
  dir: string,
  seconds: number,
  url: string,
  cookieFile: string,
  expect: string,
): Promise<string> {
  const args = [`-t${THREADS}`, `-c${CONNS}`, `-d${seconds}s`, '--timeout', '5s', '--latency'];
  args.push('-s', 'bench.lua', url, '--', cookieFile, expect, String(THREADS));
  const out = await exec('wrk', args, dir);
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no RESULT line for ${url}:\n${out}`);
  return line;
}

/** requests/s of a RESULT line */
export const rpsOf = (result: string): number => Number(/\brps=([\d.]+)/.exec(result)?.[1] ?? NaN);

/** Responses of a RESULT line that failed bench.lua's checks (status, body, socket errors). */
export function failuresOf(result: string): number {
  let n = 0;
  for (const key of ['non2xx', 'bad_body', 'err_connect', 'err_read', 'err_write', 'err_timeout'])
    n += Number(new RegExp(`\\b${key}=(\\d+)`).exec(result)?.[1] ?? 0);
  return n;
}

/** A peer that answers its /hello page now. */
export async function answers(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/hello`, {
      signal: AbortSignal.timeout(2000),
    });
    return res.ok && (await res.text()).includes('Hello, world!');
  } catch {
    return false;
  }
}

/** The peers that answer now, in PEERS' order. */
export async function runningPeers(): Promise<[string, number][]> {
  const running: [string, number][] = [];
  for (const [name, port] of PEERS) if (await answers(port)) running.push([name, port]);
  return running;
}

/**
 * Cookie files for the session scenarios of one server, as run.sh makes them: one new
 * session (`shared`) and one per connection (`pool`).
 */
export async function cookieFiles(
  base: string,
  filePrefix: string,
): Promise<{ shared: string; pool: string }> {
  const shared = `${filePrefix}-shared`;
  const pool = `${filePrefix}-pool`;
  writeFileSync(shared, (await newCookie(base)) + '\n');
  const cookies: string[] = [];
  for (let i = 0; i < CONNS; i++) cookies.push(await newCookie(base));
  writeFileSync(pool, cookies.join('\n') + '\n');
  return { shared, pool };
}

/** The cookie file a scenario is run with (`-`: none). */
export function cookieFileFor(s: Scenario, files: { shared: string; pool: string }): string {
  return s.cookies === 'shared' ? files.shared : s.cookies === 'pool' ? files.pool : '-';
}
