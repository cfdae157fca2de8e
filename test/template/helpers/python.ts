/** Runs compiled templates with the real interpreter, many per process (see harness.py). */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultConfig, toWorkerConfig } from '../../../src/engine/config/index.js';
import { WorkerPool } from '../../../src/engine/runtime/pool.js';
import { resolvePython } from '../../../src/engine/runtime/python.js';
import type { PySyntaxError } from '../../../src/engine/template/index.js';

const HARNESS = fileURLToPath(new URL('./harness.py', import.meta.url));

export interface RunCase {
  name: string;
  py: string;
  vars?: Record<string, unknown>;
}

export type RunResult =
  | { name: string; out: string; error?: undefined }
  | { name: string; out?: undefined; error: { type: string; message: string; line: number } };

export async function python(): Promise<string> {
  return (await resolvePython('python3')).executable;
}

export async function runTemplates(cases: RunCase[]): Promise<RunResult[]> {
  const exe = await python();
  return new Promise((resolve, reject) => {
    const child = execFile(
      exe,
      [HARNESS],
      { maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`harness failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as RunResult[]);
      },
    );
    child.stdin!.end(JSON.stringify(cases));
  });
}

/** Runs one compiled template and returns its output, throwing on a Python error. */
export async function render(py: string, vars: Record<string, unknown> = {}): Promise<string> {
  const [r] = await runTemplates([{ name: 'page.pt', py, vars }]);
  if (r!.error)
    throw new Error(`${r!.error.type}: ${r!.error.message} (generated line ${r!.error.line})`);
  return r!.out!;
}

/** The Python syntax check of generated code: one real worker's `check` jobs. */
export interface SyntaxChecker {
  check(sources: { name: string; code: string }[]): Promise<PySyntaxError[]>;
  close(): Promise<void>;
}

/** Boots one worker (of an empty app in a temporary folder) to check syntax with. */
export async function startChecker(): Promise<SyntaxChecker> {
  const root = mkdtempSync(path.join(tmpdir(), 'pse-check-'));
  const pool = new WorkerPool({
    python: await python(),
    workers: 1,
    appRoot: root,
    config: toWorkerConfig(defaultConfig(root)),
    requestTimeoutMs: 0,
    // the tests compile thousands of templates between checks, keeping Node's loop busy for
    // long stretches: the worker's heartbeats are read late then, and it is not hung
    heartbeatTimeoutMs: 10 * 60_000,
    sources: () => Promise.reject(new Error('the syntax checker runs no pages')),
  });
  await pool.start();
  return {
    check: (sources) => pool.check(sources),
    close: async () => {
      await pool.stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
