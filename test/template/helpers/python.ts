/** Runs compiled templates with the real interpreter, many per process (see harness.py). */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolvePython } from '../../../src/engine/runtime/python.js';

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
