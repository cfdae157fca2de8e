/**
 * Opens a better-sqlite3 database. Under Electron the addon built for Node's ABI cannot load,
 * so the launcher (scripts/start.mjs) builds one for Electron and names it in
 * PSE_SQLITE_NATIVE_BINDING; everywhere else the package's own binary is used.
 */
import Database from 'better-sqlite3';
import { privateDatabase } from './private-files.js';

/** better-sqlite3's options here: Electron's build of the addon when the launcher named one. */
export function databaseOptions(): Database.Options {
  const nativeBinding = process.env.PSE_SQLITE_NATIVE_BINDING;
  return nativeBinding ? { nativeBinding } : {};
}

/** Opens (creating when missing) `file`, private to this account: see private-files.ts. */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:' && file !== '') privateDatabase(file);
  return new Database(file, databaseOptions());
}

/**
 * Opens `file` and runs `setup` on it (pragmas, schema), trying both again while another
 * process is opening the same file, for up to `waitMs`. `busy_timeout` does not cover it:
 * when two connections both read a new file and then both need its write lock (the switch to
 * WAL, the first schema), SQLite answers SQLITE_BUSY at once rather than deadlock, so N
 * servers started together would see one of them fail to start. The waits are synchronous:
 * this runs while a store opens, before anything else is served.
 */
export function openConfigured(
  file: string,
  setup: (db: Database.Database) => void,
  waitMs: number,
): Database.Database {
  const deadline = performance.now() + waitMs;
  let backoff = 2;
  for (;;) {
    const db = openDatabase(file);
    try {
      setup(db);
      return db;
    } catch (err) {
      db.close();
      if (!isBusy(err) || performance.now() + backoff > deadline) throw err;
    }
    // A random share of the back-off: processes that met keep from meeting again.
    sleepSync(backoff * (0.5 + Math.random() / 2));
    backoff = Math.min(backoff * 2, 100);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The SQLite result code of an error thrown by better-sqlite3 (e.g. 'SQLITE_BUSY'), or ''. */
export function sqliteCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : '';
}

/** Another connection holds the lock this statement needs: worth retrying later. */
export function isBusy(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** The disk (or the database's page limit) is full: worth retrying once space is freed. */
export function isFull(err: unknown): boolean {
  return sqliteCode(err) === 'SQLITE_FULL';
}

/** The file is not an SQLite database or is damaged inside. */
export function isCorrupt(err: unknown): boolean {
  const code = sqliteCode(err);
  return code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB';
}
