/** Where PSE itself is installed: found once by walking up from this file to package.json. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir)
      throw new Error(`PSE: no package.json above ${start}; is the package installed completely?`);
    dir = up;
  }
}

/** The folder holding PSE's package.json (the same from src/ under tsx and from dist/). */
export const PACKAGE_ROOT = findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));

/** The Python package the workers run (`pse`, `pse_boot.py`) lives in the source tree, never copied. */
export const PYTHON_DIR = path.join(PACKAGE_ROOT, 'src', 'engine', 'python');

export const PSE_VERSION: string = (
  JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;
