/** How the CLI reports failures: located errors one per line, then a non-zero exit code. */
import { formatLocated } from '../common/types/located.js';
import { ConfigError } from '../engine/boot.js';

export const EXIT_USAGE = 2;
export const EXIT_FAILED = 1;

export function reportFailure(err: unknown, doing: string): number {
  if (err instanceof ConfigError) {
    process.stderr.write(
      `pse: ${doing}: pse.conf has errors:\n${err.issues.map((i) => `  ${formatLocated(i)}`).join('\n')}\n`,
    );
    return EXIT_USAGE;
  }
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`pse: ${doing}: ${msg}\n`);
  return EXIT_FAILED;
}

export function parsePositiveInt(value: string, what: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new Error(`${what} must be a whole number of at least 1, not '${value}'`);
  return n;
}
