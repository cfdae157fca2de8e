/**
 * The PostgreSQL store's commits as group statements (pg-group-commit.ts): new sessions, and
 * changes of existing ones. Each statement writes every commit of its group that it can decide
 * alone; the store settles the others itself (a taken id, a change that found its session gone
 * or at another version).
 */
import type { GroupStatement } from './pg-group-commit.js';
import type { PgTables } from './pg-schema.js';

/** The namespaces a commit writes: one entry per name in each array. */
interface Written {
  names: string[];
  pickles: Buffer[];
  /** jsonb text */
  previews: string[];
}

export interface NewSession extends Written {
  id: string;
  now: number;
  expires: number;
}

export interface SessionChange extends Written {
  id: string;
  now: number;
  expires: number;
  /** the version the change is based on; null: whatever it is */
  expect: number | null;
  /** namespaces deleted (none of them also written) */
  deleted: string[];
}

/** A change applied: the session's new version, and each written namespace's. */
export interface Changed {
  version: number;
  versions: Map<string, number>;
}

/** Flat arrays of the namespaces of a group, one row per (session, name). */
function writtenOf(group: readonly (Written & { id: string })[]): unknown[] {
  const sessions: string[] = [];
  const names: string[] = [];
  const pickles: Buffer[] = [];
  const previews: string[] = [];
  for (const c of group) {
    for (let i = 0; i < c.names.length; i++) {
      sessions.push(c.id);
      names.push(c.names[i]!);
      pickles.push(c.pickles[i]!);
      previews.push(c.previews[i]!);
    }
  }
  return [sessions, names, pickles, previews];
}

/** New sessions; each result: created (false: its id is taken, nothing was written). */
export function createStatement(t: PgTables): GroupStatement<NewSession, { id: string }, boolean> {
  return {
    sql: `WITH s AS (
        INSERT INTO ${t.sessions} (id, created, accessed, expires, version)
        SELECT i.id, i.now, i.now, i.expires, 1
        FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS i (id, now, expires)
        ON CONFLICT (id) DO NOTHING RETURNING id
      ), n AS (
        INSERT INTO ${t.ns} (session, name, pickle, preview, version)
        SELECT u.session, u.name, u.pickle, u.preview::jsonb, 1
        FROM unnest($4::text[], $5::text[], $6::bytea[], $7::text[]) AS u (session, name, pickle, preview)
        WHERE u.session IN (SELECT id FROM s)
      )
      SELECT id FROM s`,
    values: (group) => [
      group.map((c) => c.id),
      group.map((c) => c.now),
      group.map((c) => c.expires),
      ...writtenOf(group),
    ],
    results: (group, rows) => {
      const created = new Set(rows.map((r) => r.id));
      return group.map((c) => created.has(c.id));
    },
  };
}

export interface ChangeRow {
  id: string;
  version: number;
  name: string | null;
  nsv: number | null;
}

/**
 * Changes of existing sessions; each result: what was written, or null when nothing was (the
 * session is gone, expired, or at another version than the change is based on). A session's
 * version moves on only from the version its change expects, in the statement that writes its
 * namespaces, so a change based on an older version is never applied.
 */
export function changeStatement(
  t: PgTables,
): GroupStatement<SessionChange, ChangeRow, Changed | null> {
  return {
    sql: `WITH b AS (
        UPDATE ${t.sessions} s SET accessed = i.now, expires = i.expires, version = s.version + 1
        FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::integer[]) AS i (id, now, expires, expect)
        WHERE s.id = i.id AND s.expires > i.now AND (i.expect IS NULL OR s.version = i.expect)
        RETURNING s.id, s.version
      ), d AS (
        DELETE FROM ${t.ns} n USING unnest($5::text[], $6::text[]) AS x (session, name)
        WHERE n.session = x.session AND n.name = x.name AND x.session IN (SELECT id FROM b)
      ), u AS (
        INSERT INTO ${t.ns} AS n (session, name, pickle, preview, version)
        SELECT u.session, u.name, u.pickle, u.preview::jsonb, 1
        FROM unnest($7::text[], $8::text[], $9::bytea[], $10::text[]) AS u (session, name, pickle, preview)
        WHERE u.session IN (SELECT id FROM b)
        ON CONFLICT (session, name) DO UPDATE SET pickle = excluded.pickle,
          preview = excluded.preview, version = n.version + 1
        RETURNING session, name, version
      )
      SELECT b.id, b.version, u.name, u.version AS nsv FROM b LEFT JOIN u ON u.session = b.id`,
    values: (group) => {
      const delSessions: string[] = [];
      const delNames: string[] = [];
      for (const c of group)
        for (const name of c.deleted) {
          delSessions.push(c.id);
          delNames.push(name);
        }
      return [
        group.map((c) => c.id),
        group.map((c) => c.now),
        group.map((c) => c.expires),
        group.map((c) => c.expect),
        delSessions,
        delNames,
        ...writtenOf(group),
      ];
    },
    results: (group, rows) => {
      const changed = new Map<string, Changed>();
      for (const r of rows) {
        let c = changed.get(r.id);
        if (!c) changed.set(r.id, (c = { version: r.version, versions: new Map() }));
        if (r.name !== null) c.versions.set(r.name, r.nsv!);
      }
      return group.map((c) => changed.get(c.id) ?? null);
    },
  };
}
