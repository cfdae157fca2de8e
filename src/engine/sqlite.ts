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
