/**
 * The read path of a PostgreSQL store: the session and its namespaces in one join, and the
 * session made of its rows. Shared by the store's own `load` and by the session lock, which
 * reads the session in the statement that locks it (pg-lock.ts).
 */
import type { PreviewValue } from '../../common/types/session.js';
import type { PgTables } from './pg-schema.js';
import { storedSession, type StoredNamespace, type StoredSession } from './store.js';

/** One row of the join: the session's columns, and one namespace's (null when it has none). */
export interface LoadRow {
  id: string;
  created: number;
  accessed: number;
  expires: number;
  version: number;
  name: string | null;
  pickle: Buffer | null;
  preview: PreviewValue | null;
  nsv: number | null;
}

/** The join's columns, in LoadRow's names; `$1` is the id. */
export function loadColumns(): string {
  return `s.id, s.created::float8 AS created, s.accessed::float8 AS accessed,
          s.expires::float8 AS expires, s.version, n.name, n.pickle, n.preview, n.version AS nsv`;
}

export function loadSql(t: PgTables, id = '$1'): string {
  return `SELECT ${loadColumns()}
          FROM ${t.sessions} s LEFT JOIN ${t.ns} n ON n.session = s.id WHERE s.id = ${id}`;
}

/** The session of the join's rows; null when there is none or it has expired by `now`. */
export function sessionOfRows(rows: readonly LoadRow[], now: number): StoredSession | null {
  const row = rows[0];
  if (!row || row.id === null || row.expires <= now) return null;
  const ns = new Map<string, StoredNamespace>();
  for (const n of rows) {
    if (n.name === null) continue; // a session without namespaces: one row, no namespace
    ns.set(n.name, { pickle: n.pickle!, preview: n.preview!, version: n.nsv! });
  }
  return storedSession(row, ns);
}

/**
 * What a namespace counts for in the store's cache: its pickle, and a guess for its preview,
 * whose JSON text is not at hand (pg parses jsonb).
 */
export function cachedBytes(pickle: Buffer): number {
  return pickle.length + 256;
}
