/**
 * The embedded session store: one SQLite file (better-sqlite3), WAL journal.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is in the WAL file (in the OS page cache)
 * before `commit()` resolves, so it survives the death of the process (kill -9); only a power
 * loss can take the last commits back. Every commit is one transaction.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../sqlite.js';
import type {
  Page,
  SessionListQuery,
  SessionSummary,
  SessionView,
} from '../../common/types/session.js';
import type { Preview } from '../runtime/protocol.js';
import {
  SessionConflictError,
  SessionStoreError,
  type CommitResult,
  type SessionCommit,
  type SessionStore,
  type StoredNamespace,
  type StoredSession,
} from './store.js';

/** Schema migrations, in order; `PRAGMA user_version` is the number applied. Append only. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     created INTEGER NOT NULL,
     accessed INTEGER NOT NULL,
     expires INTEGER NOT NULL,
     version INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX sessions_expires ON sessions (expires);
   CREATE TABLE namespaces (
     session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE,
     name TEXT NOT NULL,
     pickle BLOB NOT NULL,
     preview TEXT NOT NULL,
     version INTEGER NOT NULL,
     PRIMARY KEY (session, name)
   ) WITHOUT ROWID;`,
  // 2: Studio lists sessions most recently used first
  `CREATE INDEX sessions_accessed ON sessions (accessed);`,
];

interface SessionRow {
  id: string;
  created: number;
  accessed: number;
  expires: number;
  version: number;
}
/** A session joined with one of its namespaces (all null when it has none). */
interface LoadRow extends SessionRow {
  name: string | null;
  pickle: Buffer | null;
  preview: string | null;
  nsVersion: number | null;
}

export interface SqliteStoreOptions {
  /** the database file; its folder is created. ':memory:' for a private in-memory store */
  file: string;
}

/** The schema version this build writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = MIGRATIONS.length;

export class SqliteSessionStore implements SessionStore {
  readonly kind = 'sqlite';
  readonly file: string;
  private readonly db: Database.Database;
  private readonly q;

  constructor(opts: SqliteStoreOptions) {
    this.file = opts.file;
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    try {
      this.db = openDatabase(opts.file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.db.pragma('busy_timeout = 5000');
      migrate(this.db, opts.file);
    } catch (err) {
      throw new SessionStoreError(
        `session store ${opts.file}: cannot open: ${err instanceof Error ? err.message : String(err)}`,
        undefined,
        undefined,
        { cause: err },
      );
    }
    const db = this.db;
    this.q = {
      session: db.prepare<[string], SessionRow>(
        'SELECT id, created, accessed, expires, version FROM sessions WHERE id = ?',
      ),
      load: db.prepare<[string], LoadRow>(
        `SELECT s.id, s.created, s.accessed, s.expires, s.version,
                n.name, n.pickle, n.preview, n.version AS nsVersion
         FROM sessions s LEFT JOIN namespaces n ON n.session = s.id WHERE s.id = ?`,
      ),
      nsMeta: db.prepare<
        [string],
        { name: string; size: number; preview: string; version: number }
      >(
        'SELECT name, length(pickle) AS size, preview, version FROM namespaces WHERE session = ? ORDER BY name',
      ),
      insertSession: db.prepare(
        'INSERT INTO sessions (id, created, accessed, expires, version) VALUES (?, ?, ?, ?, 0)',
      ),
      bump: db.prepare(
        'UPDATE sessions SET accessed = ?, expires = ?, version = version + 1 WHERE id = ?',
      ),
      touch: db.prepare('UPDATE sessions SET accessed = ?, expires = ? WHERE id = ?'),
      rename: db.prepare(
        'UPDATE sessions SET id = ?, accessed = ?, expires = ?, version = version + 1 WHERE id = ?',
      ),
      nsVersion: db.prepare<[string, string], { version: number }>(
        'SELECT version FROM namespaces WHERE session = ? AND name = ?',
      ),
      upsert: db.prepare(
        `INSERT INTO namespaces (session, name, pickle, preview, version) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (session, name) DO UPDATE SET pickle = excluded.pickle, preview = excluded.preview,
           version = version + 1`,
      ),
      deleteNs: db.prepare('DELETE FROM namespaces WHERE session = ? AND name = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
      sweep: db.prepare('DELETE FROM sessions WHERE expires <= ?'),
    };
  }

  /** One statement (a join) for the session and its namespaces: the read path of every request. */
  async load(id: string, now: number): Promise<StoredSession | null> {
    const rows = this.q.load.all(id);
    const row = rows[0];
    if (!row || row.expires <= now) return null;
    const ns = new Map<string, StoredNamespace>();
    for (const n of rows) {
      if (n.name === null) continue; // a session without namespaces: one row, no namespace
      ns.set(n.name, {
        pickle: n.pickle!,
        preview: JSON.parse(n.preview!) as Preview,
        version: n.nsVersion!,
      });
    }
    return {
      id: row.id,
      created: row.created,
      accessed: row.accessed,
      expires: row.expires,
      version: row.version,
      ns,
    };
  }

  async commit(c: SessionCommit): Promise<CommitResult> {
    return this.db.transaction((): CommitResult => {
      const row = this.q.session.get(c.id);
      const live = row && row.expires > c.now ? row : undefined;
      if (c.expectVersion !== undefined && (live?.version ?? null) !== c.expectVersion) {
        throw new SessionConflictError(c.id, c.expectVersion, live?.version ?? null);
      }
      if (c.create && live) throw new SessionConflictError(c.id, 0, live.version);
      if (!live) {
        if (!c.create) throw new SessionConflictError(c.id, c.expectVersion ?? 0, null);
        // An expired row with this id is dead data: it is replaced, never revived.
        if (row) this.q.deleteSession.run(c.id);
        this.q.insertSession.run(c.id, c.now, c.now, c.expires);
      }
      this.q.bump.run(c.now, c.expires, c.id);
      const versions = new Map<string, number>();
      for (const name of c.delete) this.q.deleteNs.run(c.id, name);
      for (const [name, v] of c.upsert) {
        this.q.upsert.run(c.id, name, v.pickle, JSON.stringify(v.preview));
        versions.set(name, this.q.nsVersion.get(c.id, name)?.version ?? 0);
      }
      return { version: (live?.version ?? 0) + 1, versions };
    })();
  }

  async touch(id: string, now: number, expires: number): Promise<boolean> {
    return this.q.touch.run(now, expires, id).changes > 0;
  }

  async rename(oldId: string, newId: string, now: number, expires: number): Promise<void> {
    const r = this.q.rename.run(newId, now, expires, oldId);
    if (r.changes === 0)
      throw new SessionStoreError(`session ${oldId}: cannot regenerate, it does not exist`, oldId);
  }

  async delete(id: string, expectVersion?: number): Promise<boolean> {
    return this.db.transaction((): boolean => {
      if (expectVersion !== undefined) {
        const row = this.q.session.get(id);
        if ((row?.version ?? null) !== expectVersion) {
          throw new SessionConflictError(id, expectVersion, row?.version ?? null);
        }
      }
      return this.q.deleteSession.run(id).changes > 0;
    })();
  }

  async sweep(now: number): Promise<number> {
    return this.q.sweep.run(now).changes;
  }

  async list(query: SessionListQuery, now: number): Promise<Page<SessionSummary>> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const offset = Math.max(query.offset ?? 0, 0);
    const where = ['s.expires > @now'];
    const params: Record<string, string | number> = { now };
    if (query.id) {
      where.push(`s.id LIKE @id ESCAPE '\\'`);
      params.id = `%${likeEscape(query.id)}%`;
    }
    if (query.namespace !== undefined) {
      where.push('EXISTS (SELECT 1 FROM namespaces n WHERE n.session = s.id AND n.name = @ns)');
      params.ns = query.namespace;
    }
    if (query.key !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM namespaces n, json_each(n.preview, '$.v') j
                 WHERE n.session = s.id AND json_extract(n.preview, '$.t') = 'dict'
                   AND json_extract(j.value, '$[0]') = @key)`,
      );
      params.key = query.key;
    }
    if (query.text) {
      where.push(
        `EXISTS (SELECT 1 FROM namespaces n WHERE n.session = s.id AND n.preview LIKE @text ESCAPE '\\')`,
      );
      params.text = `%${likeEscape(query.text)}%`;
    }
    const cond = where.join(' AND ');
    const total = this.db
      .prepare<
        [Record<string, string | number>],
        { n: number }
      >(`SELECT count(*) AS n FROM sessions s WHERE ${cond}`)
      .get(params)!.n;
    const rows = this.db
      .prepare<[Record<string, string | number>], SessionRow & { names: string | null }>(
        `SELECT s.id, s.created, s.accessed, s.expires, s.version,
                (SELECT json_group_array(name) FROM (SELECT name FROM namespaces WHERE session = s.id ORDER BY name)) AS names
         FROM sessions s WHERE ${cond} ORDER BY s.accessed DESC, s.id LIMIT ${limit} OFFSET ${offset}`,
      )
      .all(params);
    return {
      items: rows.map(({ names, ...r }) => ({
        ...r,
        namespaces: names ? (JSON.parse(names) as string[]) : [],
      })),
      total,
      offset,
      limit,
    };
  }

  async view(id: string, now: number): Promise<SessionView | null> {
    const row = this.q.session.get(id);
    if (!row || row.expires <= now) return null;
    const ns = this.q.nsMeta.all(id).map((n) => ({
      name: n.name,
      version: n.version,
      size: n.size,
      preview: JSON.parse(n.preview) as Preview,
    }));
    return { ...row, namespaces: ns.map((n) => n.name), namespaceViews: ns };
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function migrate(db: Database.Database, file: string): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(
      `${file} has schema version ${current}, newer than this PSE knows (${MIGRATIONS.length}); upgrade PSE`,
    );
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
