/**
 * The PostgreSQL session schema and its migrations. `Table` (default `pse_session`, optionally
 * `schema.table`) names three tables: the sessions, `<table>_ns` (their namespaces: pickles as
 * bytea, previews as jsonb) and `<table>_schema` (the migrations applied, one row each).
 * Ids and names sort bytewise (COLLATE "C"), as SQLite sorts them.
 * Migrations run in one transaction under an advisory lock, so processes that start together
 * migrate once; a database newer than this PSE is refused.
 */
import type pg from 'pg';

/** The names one `Table` setting stands for (validated by config: [a-z0-9_], optional schema). */
export interface PgTables {
  /** sessions */
  sessions: string;
  /** namespaces */
  ns: string;
  /** applied migrations */
  schema: string;
  /** prefix for index names (indexes live in their table's schema) */
  base: string;
  /** the request journal of every process on this store (`[Studio] Journal = store`) */
  journal: string;
  /** pickles its entries kept */
  journalPickles: string;
  /** serials, handed out in blocks of JOURNAL_SERIAL_BLOCK */
  journalSerial: string;
  /** the LISTEN/NOTIFY channel of the journal and of session changes */
  channel: string;
}

/** Serials a process takes at a time from the journal's sequence (its increment). */
export const JOURNAL_SERIAL_BLOCK = 64;

export function pgTables(table: string): PgTables {
  const dot = table.indexOf('.');
  const base = dot < 0 ? table : table.slice(dot + 1);
  return {
    sessions: table,
    ns: `${table}_ns`,
    schema: `${table}_schema`,
    base,
    journal: `${table}_journal`,
    journalPickles: `${table}_journal_pickles`,
    journalSerial: `${table}_journal_serial`,
    // a channel is an identifier too (at most 63 bytes): the table's, shortened if need be
    channel: `pse_${table.replace('.', '_')}`.slice(0, 63),
  };
}

/** Migrations, in order; the number applied is the highest `version` in `<table>_schema`. Append only. */
function migrations(t: PgTables): string[] {
  return [
    `CREATE TABLE ${t.sessions} (
       id text COLLATE "C" PRIMARY KEY,
       created bigint NOT NULL,
       accessed bigint NOT NULL,
       expires bigint NOT NULL,
       version integer NOT NULL
     );
     CREATE INDEX ${t.base}_expires ON ${t.sessions} (expires);
     CREATE INDEX ${t.base}_accessed ON ${t.sessions} (accessed DESC, id);
     CREATE TABLE ${t.ns} (
       session text COLLATE "C" NOT NULL REFERENCES ${t.sessions} (id) ON DELETE CASCADE ON UPDATE CASCADE,
       name text COLLATE "C" NOT NULL,
       pickle bytea NOT NULL,
       preview jsonb NOT NULL,
       version integer NOT NULL,
       PRIMARY KEY (session, name)
     );
     CREATE INDEX ${t.base}_ns_name ON ${t.ns} (name, session);
     CREATE INDEX ${t.base}_ns_preview ON ${t.ns} USING gin (preview jsonb_path_ops);`,
    // 2: the request journal shared by every process (journal/pg-journal.ts)
    `CREATE SEQUENCE ${t.journalSerial} INCREMENT BY ${JOURNAL_SERIAL_BLOCK};
     CREATE TABLE ${t.journal} (
       serial bigint PRIMARY KEY,
       time bigint NOT NULL,
       session text COLLATE "C",
       outcome text NOT NULL,
       path text NOT NULL,
       host text NOT NULL,
       pid integer NOT NULL,
       instance integer NOT NULL,
       entry text NOT NULL,
       bytes integer NOT NULL
     );
     CREATE INDEX ${t.base}_journal_session ON ${t.journal} (session, serial);
     CREATE TABLE ${t.journalPickles} (
       serial bigint NOT NULL REFERENCES ${t.journal} (serial) ON DELETE CASCADE,
       name text COLLATE "C" NOT NULL,
       phase text NOT NULL CHECK (phase IN ('before', 'after')),
       pickle bytea NOT NULL,
       PRIMARY KEY (serial, name, phase)
     );`,
  ];
}

/** The schema version this build writes. */
export const PG_SCHEMA_VERSION = migrations(pgTables('x')).length;

/** The schema version of the database (0: no PSE tables yet). */
export async function pgSchemaVersion(c: pg.ClientBase, t: PgTables): Promise<number> {
  const exists = await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [t.schema]);
  if (exists.rows[0]?.t === null) return 0;
  const r = await c.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${t.schema}`);
  return r.rows[0]?.v ?? 0;
}

export class PgSchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PgSchemaError';
  }
}

/** Brings the schema to PG_SCHEMA_VERSION; returns the versions applied (from → to). */
export async function migratePg(
  c: pg.ClientBase,
  table: string,
): Promise<{ from: number; to: number }> {
  const t = pgTables(table);
  const all = migrations(t);
  await c.query('BEGIN');
  try {
    // one migrator per table at a time: processes starting together wait here, then find it done
    await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`pse-migrate:${table}`]);
    if (t.sessions !== t.base)
      await c.query(`CREATE SCHEMA IF NOT EXISTS ${t.sessions.slice(0, -t.base.length - 1)}`);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${t.schema} (version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())`,
    );
    const from = await pgSchemaVersion(c, t);
    if (from > all.length) throw newerError(table, from, all.length);
    for (let v = from; v < all.length; v++) {
      await c.query(all[v]!);
      await c.query(`INSERT INTO ${t.schema} (version) VALUES ($1)`, [v + 1]);
    }
    await c.query('COMMIT');
    return { from, to: Math.max(from, all.length) };
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Without migrating (`--no-migrate`): the schema must be this build's already. */
export async function checkPgSchema(c: pg.ClientBase, table: string): Promise<void> {
  const v = await pgSchemaVersion(c, pgTables(table));
  if (v > PG_SCHEMA_VERSION) throw newerError(table, v, PG_SCHEMA_VERSION);
  if (v < PG_SCHEMA_VERSION)
    throw new PgSchemaError(
      `table ${table} has schema version ${v}, this PSE needs ${PG_SCHEMA_VERSION}: run \`pse db migrate APP\` (or start without --no-migrate)`,
    );
}

function newerError(table: string, v: number, known: number): PgSchemaError {
  return new PgSchemaError(
    `table ${table} has schema version ${v}, newer than this PSE knows (${known}); upgrade PSE`,
  );
}
