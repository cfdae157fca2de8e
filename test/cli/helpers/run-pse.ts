/** Runs a `pse` command line to its end, as a user would, with its exit code and output. */
import { execFile } from 'node:child_process';

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node ENTRY… ARGS`: ENTRY is the built bin/pse.js, or `--import tsx src/cli/main.ts`. */
export function runPse(
  entry: string[],
  args: string[],
  o: { cwd: string; timeoutMs: number },
): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...entry, ...args],
      { cwd: o.cwd, timeout: o.timeoutMs },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}
