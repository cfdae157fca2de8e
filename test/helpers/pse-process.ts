/** `pse serve` as a real process from this checkout's sources, for tests of several processes. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface PseProcess {
  child: ChildProcess;
  url: string;
  /** what it wrote to stderr so far */
  stderr(): string;
  /** SIGTERM, then resolves once it has exited */
  stop(): Promise<void>;
}

const started: ChildProcess[] = [];

/** Whether process `pid` still runs. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Kills every process startPse started that still runs (for afterAll). */
export function killAll(): void {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/**
 * Starts `pse serve APP --quiet ARGS…` (on a free port unless ARGS name one); resolves once it
 * prints its serving line. `ownGroup`: in a process group of its own (its pid is the group's id),
 * as a terminal or a service manager starts it, so that a test can signal the whole group.
 */
export function startPse(
  app: string,
  args: string[] = [],
  opts: { ownGroup?: boolean } = {},
): Promise<PseProcess> {
  const port = args.includes('--port') || args.includes('-p') ? [] : ['--port', '0'];
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(ROOT, 'src/cli/main.ts'),
      'serve',
      app,
      ...port,
      '--quiet',
      ...args,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.ownGroup === true },
  );
  started.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PSE serving .* at (http:\/\/\S+)/.exec(out);
      if (m)
        resolve({
          child,
          url: m[1]!.replace(/\/$/, ''),
          stderr: () => err,
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null || child.signalCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
    });
    child.on('exit', (code) =>
      reject(new Error(`pse serve exited (${code}) before serving:\n${out}\n${err}`)),
    );
  });
}

/** SIGINT, as Ctrl-C; resolves with the exit code (SIGKILL after 60 s: then null). */
export function stopPse(p: PseProcess): Promise<number | null> {
  if (p.child.exitCode !== null || p.child.signalCode !== null)
    return Promise.resolve(p.child.exitCode);
  return new Promise((resolve) => {
    const force = setTimeout(() => p.child.kill('SIGKILL'), 60_000);
    p.child.once('exit', (code) => {
      clearTimeout(force);
      resolve(code);
    });
    p.child.kill('SIGINT');
  });
}
