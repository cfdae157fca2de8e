/**
 * A long-lived Python process that syntax-checks generated code: `python -u pse/_syntax.py`,
 * one JSON request per line on stdin, one JSON answer per line on stdout, answered in order.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PYTHON_DIR } from '../paths.js';

export interface PySyntaxError {
  name: string;
  line: number;
  col: number;
  message: string;
}

export interface PySyntaxChecker {
  check(sources: { name: string; code: string }[]): Promise<PySyntaxError[]>;
  close(): Promise<void>;
}

/** Where `_syntax.py` lives (the Python package is used from the source tree, never copied). */
export const SYNTAX_SCRIPT = path.join(PYTHON_DIR, 'pse', '_syntax.py');

interface Pending {
  resolve: (errors: PySyntaxError[]) => void;
  reject: (err: Error) => void;
}

interface Answer {
  id?: number;
  errors?: PySyntaxError[];
  error?: string;
}

export function startSyntaxChecker(python: string): PySyntaxChecker {
  const child = spawn(python, ['-u', SYNTAX_SCRIPT], {
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let stderr = '';
  let dead: Error | undefined;

  const failAll = (err: Error): void => {
    dead ??= err;
    for (const p of pending.values()) p.reject(dead);
    pending.clear();
  };

  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => {
    stderr = (stderr + s).slice(-4000);
  });
  child.on('error', (err) =>
    failAll(new Error(`syntax checker: cannot run ${python}: ${err.message}`)),
  );
  child.on('exit', (code, signal) => {
    failAll(
      new Error(
        `syntax checker exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`,
      ),
    );
  });
  child.stdin.on('error', () => {
    /* the exit handler reports why */
  });

  const rl = createInterface({ input: child.stdout, crlfDelay: Infinity });
  rl.on('line', (line) => {
    let answer: Answer;
    try {
      answer = JSON.parse(line) as Answer;
    } catch {
      failAll(new Error(`syntax checker: unreadable answer ${JSON.stringify(line.slice(0, 200))}`));
      return;
    }
    const p = answer.id === undefined ? undefined : pending.get(answer.id);
    if (!p) {
      failAll(new Error(`syntax checker: answer to an unknown request: ${line.slice(0, 200)}`));
      return;
    }
    pending.delete(answer.id!);
    if (answer.error !== undefined) p.reject(new Error(`syntax checker: ${answer.error}`));
    else p.resolve(answer.errors ?? []);
  });

  return {
    check(sources) {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<PySyntaxError[]>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.stdin.write(JSON.stringify({ id, sources }) + '\n');
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) {
          resolve();
          return;
        }
        child.once('exit', () => resolve());
        child.stdin.end();
      });
    },
  };
}
