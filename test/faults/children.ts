/**
 * Real second processes for the fault tests: one that holds an SQLite file's write lock until
 * told to let go, and one that writes a journal as a server would. Each is a child `node`
 * (with tsx), so the locks and the writes are another process's, as in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHILD = path.join(import.meta.dirname, 'child.ts');

const started: ChildProcess[] = [];

/** Kills what a test left running (afterAll). */
export function killChildren(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

function child(args: string[]): ChildProcess {
  const c = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  started.push(c);
  return c;
}

/** Resolves with the child's first stdout line that matches `re`; rejects if it exits first. */
function lineOf(c: ChildProcess, re: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = out.split('\n').find((l) => re.test(l));
      if (m !== undefined) {
        c.stdout!.off('data', onData);
        resolve(m);
      }
    };
    c.stdout!.on('data', onData);
    c.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    c.on('exit', (code) => reject(new Error(`child exited (${code}):\n${out}\n${err}`)));
  });
}

export interface LockHolder {
  /** COMMITs and closes; resolves when the lock is gone */
  release(): Promise<void>;
}

/** Another process takes `file`'s write lock (`BEGIN IMMEDIATE`) and holds it. */
export async function holdWriteLock(file: string): Promise<LockHolder> {
  const c = child(['hold', file]);
  await lineOf(c, /^locked$/);
  return {
    release: async () => {
      const done = lineOf(c, /^released$/);
      c.stdin!.write('release\n');
      await done;
    },
  };
}

/** Another process records `count` journal entries (paths `/label/i`); resolves with their serials. */
export async function writeJournal(file: string, count: number, label: string): Promise<number[]> {
  const c = child(['journal', file, String(count), label]);
  const line = await lineOf(c, /^serials /);
  await new Promise<void>((resolve, reject) => {
    if (c.exitCode !== null) {
      if (c.exitCode === 0) resolve();
      else reject(new Error(`journal writer exited ${c.exitCode}`));
      return;
    }
    c.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`journal writer exited ${code}`)),
    );
  });
  return JSON.parse(line.slice('serials '.length)) as number[];
}

/** `pse serve APP` (development: it keeps the journal), from source; resolves once it listens. */
export async function servePse(app: string): Promise<{ child: ChildProcess; url: string }> {
  const c = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve', app, '--port', '0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.push(c);
  const line = await lineOf(c, /at http:\/\//);
  return { child: c, url: /at (http:\/\/\S+)/.exec(line)![1]!.replace(/\/$/, '') };
}

/** `pse run FILE` to its end: its exit code and output. */
export function runPse(file: string): Promise<{ code: number | null; out: string }> {
  const c = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'run', file],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.push(c);
  let out = '';
  c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) => c.on('exit', (code) => resolve({ code, out })));
}
