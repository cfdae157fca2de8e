/**
 * vitest globalSetup: before any test file starts, find or install the Chromium of the browser
 * tests (chromium.ts), once for the whole run and outside the tests' timeouts. A run given file
 * filters that leave out every browser test needs none and installs nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './chromium.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Test files (repo-relative, `/`-separated) that drive a browser: they import ./browser.js. */
export function browserTestFiles(root = REPO): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (
        entry.name.endsWith('.test.ts') &&
        /from '\.\/browser\.js'/.test(readFileSync(file, 'utf8'))
      )
        out.push(path.relative(root, file).split(path.sep).join('/'));
    }
  };
  walk(path.join(root, 'test'));
  return out;
}

/**
 * Whether a vitest command line may run one of `files`: no file filter runs them all; a filter
 * (matched by vitest as part of a file's path) may name one. Option values count as filters too:
 * at worst a Chromium is made ready that this run does not use.
 */
export function mayRunAny(argv: readonly string[], files: readonly string[]): boolean {
  const script = argv.findIndex((a) => /vitest(\.m?js)?$/.test(a));
  const filters = argv
    .slice(script + 1)
    .filter((a) => !a.startsWith('-') && !['run', 'watch', 'dev'].includes(a));
  if (filters.length === 0) return true;
  return files.some((f) => filters.some((filter) => f.includes(filter.split(path.sep).join('/'))));
}

export default function setup(): void {
  if (!mayRunAny(process.argv, browserTestFiles())) return;
  // the test processes start after this, with this environment: they skip the search
  process.env.PSE_CHROMIUM = ensureChromium();
}
