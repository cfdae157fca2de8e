/**
 * `pse serve APP --port 0 --production --quiet` as a user runs it (or without `--production`: a
 * development server, with Studio's request journal), for the benchmarks that load a server
 * from outside: started, its URL read from its ready line, its CPU read from /proc.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePython, type PythonInfo } from '../src/engine/runtime/python.js';
import { PG_URL } from './pg.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The peer servers' benchmark folder: PSE_PEERS_DIR, else ../shared/bench-peers beside the repository. */
export const PEERS_DIR =
  process.env.PSE_PEERS_DIR || path.resolve(ROOT, '..', 'shared', 'bench-peers');
const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux

export interface PseServer {
  url: string;
  child: ChildProcess;
}

/**
 * The `pse` command of a checkout: the compiled one of this checkout (`npm run bench` builds it
 * first), or another checkout's sources through tsx (bench/cpu.ts's before/after runs).
 */
export function pseCommand(root = ROOT): string[] {
  return root === ROOT
    ? [path.join(ROOT, 'bin/pse.js')]
    : ['--import', 'tsx', path.join(root, 'src/cli/main.ts')];
}

/**
 * The interpreter that the benchmarks run PSE's workers and the floor's Python processes on:
 * `PSE_BENCH_PYTHON`, else the one bench-peers' Python servers run on (the system's
 * `/usr/bin/python3`: mod_python is built against it and gunicorn runs on it), so that the
 * Python code of every contender runs on the same build; else PSE's default, `python3` on PATH.
 * Builds differ: pyenv's default build (a shared libpython, no profile-guided optimization) ran
 * PSE's worker at ~1.25× the CPU of Debian's on the same pages.
 */
export function benchPythonName(): string {
  const chosen = process.env.PSE_BENCH_PYTHON;
  if (chosen) return chosen;
  return existsSync(SYSTEM_PYTHON) ? SYSTEM_PYTHON : 'python3';
}
const SYSTEM_PYTHON = '/usr/bin/python3';

/** benchPythonName(), resolved (its path, its version). */
export function benchPython(): Promise<PythonInfo> {
  return resolvePython(benchPythonName());
}

/**
 * A copy of examples/ without its `.pse` state (benchmarks never write into the repository),
 * its workers set to run on benchPython().
 */
export function copyExamples(dest: string): string {
  cpSync(path.join(ROOT, 'examples'), dest, {
    recursive: true,
    filter: (src) => path.basename(src) !== '.pse',
  });
  const conf = path.join(dest, 'pse.conf');
  const text = readFileSync(conf, 'utf8');
  const main = /^\[Main\][ \t]*$/m.exec(text);
  if (!main) throw new Error(`${conf}: no [Main] section to set PythonExecutable in`);
  const at = main.index + main[0].length;
  const line = `\nPythonExecutable = ${benchPythonName()}`;
  writeFileSync(conf, text.slice(0, at) + line + text.slice(at));
  return dest;
}

/**
 * Replaces `app`'s pse.conf by one that keeps its sessions in the benchmarks' PostgreSQL
 * (`table`: schema.name), its workers on benchPython().
 */
export function onPostgres(app: string, table: string): void {
  writeFileSync(
    path.join(app, 'pse.conf'),
    `[Main]\nPythonExecutable = ${benchPythonName()}\n[plugins.session]\nType = postgresql\nDatabase = ${PG_URL}\nTable = ${table}\n`,
  );
}

/** Starts `pse serve` on `app`; resolves with its URL (no trailing slash) once it is serving. */
export function startPse(
  app: string,
  opts: {
    command?: string[];
    workers?: string;
    development?: boolean;
    /** more `pse serve` arguments (`--instances 2`) */
    args?: string[];
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<PseServer> {
  const args = [...(opts.command ?? pseCommand()), 'serve', app];
  args.push('--port', '0', '--quiet', ...(opts.args ?? []));
  if (!opts.development) args.push('--production');
  if (opts.workers) args.push('--workers', opts.workers);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env ? { env: opts.env } : {}),
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`pse serve did not start within 60 s:\n${out}${err}`));
    }, 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PSE serving .* at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve({ url: m[1]!.replace(/\/$/, ''), child });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`pse serve exited (${code}) before serving:\n${out}${err}`));
    });
  });
}

/** Stops it as Ctrl-C does (SIGINT), killing it after 15 s. */
export function stopPse(s: PseServer): Promise<void> {
  return new Promise((resolve) => {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
    const force = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
    s.child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    s.child.kill('SIGINT');
  });
}

/** utime+stime of one process, in µs (ticks of 10 ms: fine over windows of ~10^5 requests). */
export function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** The children of a process (the Python workers of `pse serve`). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
    if (text) out.push(...text.split(' ').map(Number));
  }
  return out;
}

/** A process and all its descendants (a cluster's instances, their workers and helpers). */
export function treeOf(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      out.push(...childrenOf(out[i]!));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The command name of a process (`node`, `python3`…). */
export function commOf(pid: number): string {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}
