/**
 * Opens a better-sqlite3 database. Under Electron the addon built for Node's ABI cannot load,
 * so the launcher (scripts/start.mjs) builds one for Electron and names it in
 * PSE_SQLITE_NATIVE_BINDING; everywhere else the package's own binary is used.
 */
import Database from 'better-sqlite3';
import { privateDatabase } from './private-files.js';

/** Opens (creating when missing) `file`, private to this account: see private-files.ts. */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:' && file !== '') privateDatabase(file);
  const nativeBinding = process.env.PSE_SQLITE_NATIVE_BINDING;
  return new Database(file, nativeBinding ? { nativeBinding } : {});
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
