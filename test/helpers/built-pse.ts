/**
 * `bin/pse.js`, the command as a user runs it: tsc's output bundled into `dist/pse/`. `npm test`
 * builds first; a bare `vitest run` of one file builds the command here when it is missing.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../..');

export function builtPse(): string {
  if (!existsSync(path.join(ROOT, 'dist', 'pse', 'main.js'))) {
    // the package's own build of the command (tsc, then the bundle)
    const r = spawnSync('npm', ['run', 'build:engine'], { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the pse command failed: ${r.stdout}${r.stderr}`);
  }
  return path.join(ROOT, 'bin', 'pse.js');
}
