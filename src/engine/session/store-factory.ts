/**
 * The session store pse.conf asks for: the embedded SQLite file, or a PostgreSQL database that
 * several processes share (with its cross-process session lock).
 */
import type { SessionConfig } from '../config/types.js';
import type { SessionLockProvider } from './cross-process-lock.js';
import type { StoreLog } from './pg-connection.js';
import { SCHEMA_VERSION, SqliteSessionStore } from './sqlite-store.js';
import type { SessionStore } from './store.js';

export interface OpenedStore {
  store: SessionStore;
  /** serializes a session's requests across processes; null when this process is the only one */
  lock: SessionLockProvider | null;
}

export interface OpenStoreOptions {
  /** SQLite: keep the file to this process, served from memory (`pse serve --production`) */
  exclusive?: boolean;
  /** PostgreSQL: create or upgrade the schema at open (default true; `--no-migrate`: false) */
  migrate?: boolean;
  /** PostgreSQL: lost and regained connections */
  log?: StoreLog;
}

export async function openSessionStore(
  config: SessionConfig,
  opts: OpenStoreOptions = {},
): Promise<OpenedStore> {
  if (config.type === 'postgresql') {
    // loaded only by apps that use it
    const { PgSessionStore } = await import('./pg-store.js');
    const store = await PgSessionStore.open({
      target: config.database,
      table: config.table,
      ...(opts.migrate !== undefined ? { migrate: opts.migrate } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    return { store, lock: store.lock };
  }
  return {
    store: new SqliteSessionStore({ file: config.file, exclusive: opts.exclusive === true }),
    lock: null,
  };
}

/** `pse db migrate`: creates or upgrades the store's schema now; says where and to what. */
export async function migrateSessionStore(config: SessionConfig): Promise<string> {
  if (config.type !== 'postgresql') {
    // the embedded SQLite store upgrades its file whenever it is opened
    await new SqliteSessionStore({ file: config.file }).close();
    return `${config.file}: schema version ${SCHEMA_VERSION}`;
  }
  const { migratePgStore } = await import('./pg-migrate.js');
  const r = await migratePgStore(config);
  return r.from === r.to
    ? `${r.where}: schema version ${r.to}, up to date`
    : `${r.where}: schema version ${r.from} → ${r.to}`;
}
