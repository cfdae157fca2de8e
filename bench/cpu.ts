/**
 * CPU microseconds per request of the Node process and of the Python workers, for the peers'
 * hello and sess-per-conn scenarios: `pse serve --production --quiet` on a copy of examples/,
 * loaded with wrk and the peers' `bench.lua`, utime+stime read from /proc before and after.
 * CPU per request is robust when the 2 cores are shared with other work, unlike req/s.
 * Env: PSE_BENCH_SECONDS (5), PSE_BENCH_WORKERS (2), PSE_PEERS_DIR; PSE_BENCH_BASE: another
 * checkout (e.g. `git archive HEAD | tar -x`) measured in turn with this one, for before/after
 * figures taken under the same load.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAverage } from './load.js';
import {
  PEERS_DIR,
  ROOT,
  childrenOf,
  copyExamples,
  cpuOf,
  pseCommand,
  startPse,
  stopPse,
} from './pse-server.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 5);
const WORKERS = process.env.PSE_BENCH_WORKERS ?? '2';
const CONNS = 32;

function exec(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
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
  const app = copyExamples(path.join(tmp, `app-${label}`));
  const server = await startPse(app, { command: pseCommand(root), workers: WORKERS });
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
    await stopPse(server);
  }
  return lines;
}

export async function run(): Promise<string[]> {
  const wrkDir = path.join(PEERS_DIR, 'wrk');
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
