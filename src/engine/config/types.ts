/** The typed picture of pse.conf, with every default filled in and every path absolute. */
import type { PgTarget } from './pg-target.js';
import type { HostPattern } from '../host-names.js';

export interface MainConfig {
  /** extra sys.path entries */
  path: string[];
  /** folders searched by pse.include / pse.call */
  includePath: string[];
  pluginPath: string;
  tagModules: string[];
  autoEscape: boolean;
  /** compiled servlets kept per worker */
  memoryCacheSize: number;
  /** bytes of page output buffered before the worker starts streaming; 0 = no limit */
  maxBuffer: number;
  /** request bodies above this many bytes get 413 */
  maxBody: number;
  /** where pse.cache output is also kept on disk; null = memory only */
  outputCacheDir: string | null;
  workers: number;
  /** engine processes `pse serve` runs on the port (each with its own workers) */
  instances: number;
  pythonExecutable: string;
  /** seconds */
  requestTimeout: number;
  /** bytes of memory one worker may allocate (past it: MemoryError); 0 = no limit */
  workerMemory: number;
  showTracebacks: boolean;
  exceptionHook: string | null;
  /** Host header values `pse serve` answers (else 421); empty = any */
  allowedHosts: HostPattern[];
}

export interface SessionConfig {
  enabled: boolean;
  /** where sessions live: the embedded SQLite file, or a PostgreSQL database shared by processes */
  type: 'sqlite' | 'postgresql';
  /** absolute path of the SQLite file */
  file: string;
  /** postgresql: the database (`Database`, or PSE 3's `DSN`); null = the PG* environment variables */
  database: PgTarget | null;
  /** postgresql: the sessions table (`schema.table` allowed); PSE 3's default `pse_session` */
  table: string;
  cookieName: string;
  /** minutes from the last access; 0 = a browser-session cookie */
  cookieExpires: number;
  cookieSecure: boolean;
  /** minutes a session is kept after its last access */
  timeout: number;
  /** chance in 1000 that a request triggers a sweep */
  collectionProbability: number;
  /** seconds a request waits for its session */
  lockTimeout: number;
}

export interface StudioConfig {
  /** requests kept in the journal */
  journalSize: number;
  /** bytes the journal keeps at most (the oldest entries go first); 0 = no byte cap */
  journalMaxBytes: number;
  /**
   * where the journal lives: 'store' = next to the sessions (PostgreSQL tables shared by the
   * cluster, or `.pse/journal.sqlite` for the SQLite store); 'file' = `.pse/journal.sqlite` always
   */
  journal: 'store' | 'file';
}

export type RawPluginOptions = Record<string, { value: string; line: number }>;

export interface PseConfig {
  appRoot: string;
  /** absolute path of pse.conf (which may not exist) */
  confFile: string;
  /** false when the app has no pse.conf and everything is a default */
  fromFile: boolean;
  production: boolean;
  main: MainConfig;
  session: SessionConfig;
  studio: StudioConfig;
  /** `[plugins.<name>]` sections other than session, as written, for the Python plugins */
  plugins: Record<string, RawPluginOptions>;
}
