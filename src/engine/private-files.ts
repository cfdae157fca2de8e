/**
 * The app's `.pse/` holds what must stay private to the account running PSE: the request journal
 * (cookies, Authorization headers, posted passwords), the session store and the logs. The folder
 * is made 0700 and its files 0600 — also when an earlier version left them world-readable.
 */
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `dir` (and missing parents) as 0700. An existing folder is tightened only when it is
 * a `.pse` folder: one named in pse.conf (a shared data folder, say) is the user's to set.
 */
export function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (path.basename(dir) === '.pse') chmodSync(dir, PRIVATE_DIR_MODE);
}

/** `file` made 0600, created empty when missing; its folder as privateDir makes it. */
export function privateFile(file: string): void {
  privateDir(path.dirname(file));
  closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * Before SQLite opens `file`: the database and the -wal / -shm / -journal files it already has
 * are made 0600. SQLite creates those companions with the database file's permissions, so new
 * ones are 0600 as well.
 */
export function privateDatabase(file: string): void {
  privateFile(file);
  for (const suffix of ['-wal', '-shm', '-journal']) {
    try {
      chmodSync(file + suffix, PRIVATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}
