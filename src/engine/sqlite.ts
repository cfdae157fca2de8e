/**
 * Opens a better-sqlite3 database. Under Electron the addon built for Node's ABI cannot load,
 * so the launcher (scripts/start.mjs) builds one for Electron and names it in
 * PSE_SQLITE_NATIVE_BINDING; everywhere else the package's own binary is used.
 */
import Database from 'better-sqlite3';

export function openDatabase(file: string): Database.Database {
  const nativeBinding = process.env.PSE_SQLITE_NATIVE_BINDING;
  return new Database(file, nativeBinding ? { nativeBinding } : {});
}
