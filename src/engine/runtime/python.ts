/**
 * Finds the Python interpreter once. `python3` is often a shim (pyenv, a venv wrapper) costing
 * a start-up of its own, so we ask it for `sys.executable` and spawn that for every worker.
 */
import { execFile } from 'node:child_process';
import { rememberedPython, rememberPython } from './python-cache.js';

export interface PythonInfo {
  /** the interpreter's own path (`sys.executable`): what the workers are spawned with */
  executable: string;
  /** e.g. "3.11.7" */
  version: string;
  major: number;
  minor: number;
}

/** Where `PythonExecutable` was set, for messages. */
export interface ConfigPlace {
  file: string;
  line: number;
}

export const MIN_PYTHON: readonly [number, number] = [3, 9];

export class PythonError extends Error {
  readonly file?: string;
  readonly line?: number;
  constructor(message: string, where?: ConfigPlace) {
    super(where ? `${message} (${where.file} line ${where.line})` : message);
    this.name = 'PythonError';
    if (where) {
      this.file = where.file;
      this.line = where.line;
    }
  }
}

const PROBE = "import sys;print(sys.executable);print('%d.%d.%d' % tuple(sys.version_info[:3]))";
const PROBE_TIMEOUT_MS = 15_000;

const cache = new Map<string, Promise<PythonInfo>>();

/**
 * Resolves `exe` (a name on PATH or a path) to the real interpreter. Cached per string, and
 * between runs while what decides the answer is unchanged (python-cache.ts); a failure is not
 * cached, so installing Python and retrying works without a restart.
 */
export function resolvePython(exe = 'python3', where?: ConfigPlace): Promise<PythonInfo> {
  let found = cache.get(exe);
  if (!found) {
    const remembered = rememberedPython(exe);
    found = remembered
      ? Promise.resolve(remembered)
      : probe(exe, where).then((info) => {
          rememberPython(exe, info);
          return info;
        });
    cache.set(exe, found);
    found.catch(() => cache.delete(exe));
  }
  return found;
}

function probe(exe: string, where?: ConfigPlace): Promise<PythonInfo> {
  const name = `PythonExecutable '${exe}'`;
  return new Promise((resolve, reject) => {
    if (exe.trim() === '') {
      reject(new PythonError('PythonExecutable is empty', where));
      return;
    }
    execFile(
      exe,
      ['-c', PROBE],
      { timeout: PROBE_TIMEOUT_MS, windowsHide: true },
      (err, stdout, stderr) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') reject(new PythonError(`${name} not found`, where));
          else if (code === 'EACCES') reject(new PythonError(`${name} is not executable`, where));
          else if (err.killed)
            reject(
              new PythonError(`${name} did not answer within ${PROBE_TIMEOUT_MS / 1000} s`, where),
            );
          else {
            const said = lastLine(stderr) || lastLine(stdout) || err.message;
            reject(new PythonError(`${name} failed to run: ${said}`, where));
          }
          return;
        }
        const lines = stdout.split(/\r?\n/);
        const executable = lines[0]?.trim() ?? '';
        const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(lines[1]?.trim() ?? '');
        if (!m || executable === '') {
          reject(
            new PythonError(
              `${name} does not answer like a Python interpreter (it printed ${JSON.stringify(stdout.slice(0, 80))})`,
              where,
            ),
          );
          return;
        }
        const major = Number(m[1]);
        const minor = Number(m[2]);
        if (major < MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor < MIN_PYTHON[1])) {
          reject(
            new PythonError(
              `${name} is Python ${m[0]} (${executable}); PSE needs Python ${MIN_PYTHON.join('.')} or newer`,
              where,
            ),
          );
          return;
        }
        resolve({ executable, version: m[0], major, minor });
      },
    );
  });
}

function lastLine(text: string): string {
  const lines = text.trim().split(/\r?\n/);
  return lines[lines.length - 1]?.trim() ?? '';
}
