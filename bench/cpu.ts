/**
 * CPU microseconds per request of the Node process and of the Python workers, for the peers'
 * hello and sess-per-conn scenarios: `pse serve --production --quiet` on a copy of examples/,
 * loaded with wrk and the peers' `bench.lua`, utime+stime read from /proc before and after.
 * CPU per request is robust when the 2 cores are shared with other work, unlike req/s.
 * Env: PSE_BENCH_SECONDS (5), PSE_BENCH_WORKERS (2), PSE_PEERS_DIR; PSE_BENCH_BASE: another
 * checkout (e.g. `git archive HEAD | tar -x`) measured in turn with this one, for before/after
 * figures taken under the same load.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage } from './load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 5);
const WORKERS = process.env.PSE_BENCH_WORKERS ?? '2';
const CONNS = 32;
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

/** utime+stime of one process, in µs. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** The children of a process (the Python workers of `pse serve`). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

function exec(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

function startPse(root: string, app: string): Promise<{ url: string; child: ChildProcess }> {
  const args = ['--import', 'tsx', path.join(root, 'src/cli/main.ts'), 'serve', app];
  args.push('--port', '0', '--production', '--quiet', '--workers', WORKERS);
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PSE serving .* at (http:\/\/\S+)/.exec(out);
      if (m) {
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ url: m[1]!.replace(/\/$/, ''), child });
      }
    });
    child.once('exit', (code) => reject(new Error(`pse serve exited (${code}):\n${out}`)));
  });
}

async function newCookie(base: string): Promise<string> {
  const res = await fetch(`${base}/session_example?name=Nick`);
  await res.text();
  return res.headers.getSetCookie()[0]!.split(';')[0]!;
}

/** Both scenarios on one server of the checkout at `root`: one line each. */
async function measure(
  root: string,
  label: string,
  wrkDir: string,
  tmp: string,
): Promise<string[]> {
  const app = path.join(tmp, `app-${label}`);
  cpSync(path.join(ROOT, 'examples'), app, {
    recursive: true,
    filter: (src) => path.basename(src) !== '.pse',
  });
  const server = await startPse(root, app);
  const pid = server.child.pid!;
  const lines: string[] = [];
  try {
    const cookies: string[] = [];
    for (let i = 0; i < CONNS; i++) cookies.push(await newCookie(server.url));
    const pool = path.join(tmp, `cookies-${label}`);
    writeFileSync(pool, cookies.join('\n') + '\n');
    const scenarios = [
      { name: 'hello', url: '/hello', file: '-', expect: 'Hello, world!' },
      { name: 'sess-per-conn', url: '/session_example', file: pool, expect: 'Hello, Nick!' },
    ];
    for (const warm of [true, false]) {
      for (const s of scenarios) {
        const workers = childrenOf(pid);
        const node0 = cpuOf(pid);
        const py0 = workers.reduce((sum, w) => sum + cpuOf(w), 0);
        const args = ['-t2', `-c${CONNS}`, `-d${warm ? 2 : SECONDS}s`, '--timeout', '5s'];
        args.push('-s', 'bench.lua', server.url + s.url, '--', s.file, s.expect, '2');
        const out = await exec('wrk', args, wrkDir);
        const node1 = cpuOf(pid);
        const py1 = workers.reduce((sum, w) => sum + cpuOf(w), 0);
        if (warm) continue;
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`wrk printed no RESULT line:\n${out}`);
        const n = Number(/requests=(\d+)/.exec(line)![1]);
        const rps = /rps=([\d.]+)/.exec(line)![1];
        const bad = /non2xx=(\d+) bad_body=(\d+)/.exec(line)!;
        lines.push(
          `${label.padEnd(5)} ${s.name.padEnd(14)} node ${((node1 - node0) / n).toFixed(1)} us/req, ` +
            `python ${((py1 - py0) / n).toFixed(1)} us/req (all children), ${rps} req/s, ${n} requests, ` +
            `non2xx=${bad[1]} bad=${bad[2]}`,
        );
      }
    }
  } finally {
    server.child.kill('SIGINT');
    await new Promise((r) => server.child.once('exit', r));
  }
  return lines;
}

export async function run(): Promise<string[]> {
  const peers = process.env.PSE_PEERS_DIR ?? '/work/shared/bench-peers';
  const wrkDir = path.join(peers, 'wrk');
  if (!existsSync(path.join(wrkDir, 'bench.lua'))) return ['cpu: no bench-peers/wrk/bench.lua'];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-cpu-'));
  const base = process.env.PSE_BENCH_BASE;
  const lines = [`load before: ${loadAverage()}`];
  try {
    // Alternated, twice, so that a change in the machine's load hits both alike.
    for (let round = 0; round < (base ? 2 : 1); round++) {
      if (base) lines.push(...(await measure(base, 'base', wrkDir, tmp)));
      lines.push(...(await measure(ROOT, 'now', wrkDir, tmp)));
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  lines.push(`load after: ${loadAverage()}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of await run()) console.log(line);
}
