/**
 * The embedded session store: one SQLite file (better-sqlite3), WAL journal.
 *
 * Durability: WAL with synchronous=NORMAL. A commit is in the WAL file (in the OS page cache)
 * before `commit()` resolves, so it survives the death of the process (kill -9); only a power
 * loss can take the last commits back. The writes asked for in one turn of the event loop share
 * one transaction (sqlite-write-batch.ts).
 *
 * Shared or exclusive: by default other processes may open the file too (`pse studio` or
 * `pse run --cookie` next to a development server). An exclusive store (`pse serve
 * --production`) holds the file locked for its lifetime. Both keep loaded sessions in memory,
 * written through on every change, so that a request's load is a Map lookup instead of a read
 * of the session's rows. An exclusive store is the only writer, so its memory is always
 * current. A shared store asks SQLite before each load whether another connection has
 * committed since it last asked (`PRAGMA data_version`), and forgets every kept session when
 * one has; it keeps only sessions read whole (no pickle left unread).
 *
 * Never blocking: statements run with `busy_timeout = 0` and are retried on a timer while
 * another process holds the lock (sqlite-retry.ts), so the event loop keeps serving other
 * requests. The file's integrity is checked at open (`PRAGMA quick_check`): a damaged store
 * stops the start with the file's name and what to do, instead of failing every request.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openConfigured } from '../sqlite.js';
import { WalSync } from '../wal-sync.js';
import { SessionCache } from './session-cache.js';
import { closedInOrder, forgetClose, noteClose } from './sqlite-clean-close.js';
import { damagedError, retryBusy, storeError } from './sqlite-retry.js';
import { SqliteWriteBatch } from './sqlite-write-batch.js';
import type {
  Page,
  PreviewValue,
  SessionListQuery,
  SessionSummary,
  SessionView,
} from '../../common/types/session.js';
import {
  SessionConflictError,
  SessionStoreError,
  type CommitResult,
  type SessionCommit,
  type SessionStore,
  type StoredNamespace,
  type StoredSession,
  storedSession,
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
  // 3: namespaces in a rowid table, the pickle last, so that a load reads a big pickle's length
  // without the pickle: in a WITHOUT ROWID table a row is its key and finding one compares whole
  // records, and a column after a big blob is reached through all of its overflow pages.
  `CREATE TABLE namespaces_rowid (
     session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE,
     name TEXT NOT NULL,
     preview TEXT NOT NULL,
     version INTEGER NOT NULL,
     pickle BLOB NOT NULL,
     PRIMARY KEY (session, name)
   );
   INSERT INTO namespaces_rowid (session, name, pickle, preview, version)
     SELECT session, name, pickle, preview, version FROM namespaces;
   DROP TABLE namespaces;
   ALTER TABLE namespaces_rowid RENAME TO namespaces;`,
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
  /** null also when the pickle is bigger than the load reads (`size` says how big) */
  pickle: Buffer | null;
  size: number | null;
  preview: string | null;
  nsVersion: number | null;
}

export interface SqliteStoreOptions {
  /** the database file; its folder is created. ':memory:' for a private in-memory store */
  file: string;
  /**
   * This process alone uses the file (`locking_mode = EXCLUSIVE`, taken at open: a second
   * process fails to open it, naming it) and loaded sessions are kept in memory. Default false.
   */
  exclusive?: boolean;
  /** bytes of pickles and previews kept in memory; default 64 MiB */
  cacheBytes?: number;
  /**
   * how long (ms) a statement is retried while another process holds the file locked, before
   * it fails with a StoreUnavailableError; default 5000. The event loop never waits for it.
   */
  busyWaitMs?: number;
}

const DEFAULT_BUSY_WAIT_MS = 5000;
/** At open only (not on the request path): how long to wait for another process's lock. */
const OPEN_BUSY_TIMEOUT_MS = 5000;

const DEFAULT_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * A shared store's load reads pickles up to this size; a bigger one is read when it is used (the
 * worker pool sends namespaces up to the same size with every request, bigger ones on demand),
 * so a request that reads a small namespace does not read a big one beside it.
 */
const LOAD_PICKLE_BYTES = 64 * 1024;

/** The schema version this build writes (`PRAGMA user_version`). */
export const SCHEMA_VERSION = MIGRATIONS.length;

export class SqliteSessionStore implements SessionStore {
  readonly kind = 'sqlite';
  readonly file: string;
  private readonly db: Database.Database;
  private readonly q;
  /** the sessions loaded or written, as the database has them */
  private readonly cache: SessionCache;
  /** a shared store: `PRAGMA data_version` when the cache was last known current */
  private readonly shared: boolean;
  private dataVersion = -1;
  private readonly busyWaitMs: number;
  /** every write goes through it, in the order asked for */
  private readonly batch: SqliteWriteBatch;
  /** the WAL synced on a thread while it grows, so that a checkpoint's fsync is short */
  private readonly walSync: WalSync | null;
  /** an exclusive store of a file: its orderly close is noted (sqlite-clean-close.ts) */
  private readonly exclusive: boolean;

  constructor(opts: SqliteStoreOptions) {
    this.file = opts.file;
    this.busyWaitMs = opts.busyWaitMs ?? DEFAULT_BUSY_WAIT_MS;
    const exclusive = opts.exclusive === true;
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    this.exclusive = exclusive && opts.file !== ':memory:';
    // Only the exclusive store may trust its own close: a shared file has other writers.
    const inOrder = this.exclusive && closedInOrder(opts.file);
    try {
      this.db = openConfigured(
        opts.file,
        (db) => {
          // Set before the first access: an exclusive WAL database keeps its index in this
          // process's memory and takes no file lock per transaction.
          if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
          db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          // An exclusive store checkpoints on the event loop (no other connection may), with
          // two fsyncs each time: every 10,000 pages (a WAL of up to ~40 MB) instead of 1,000,
          // so the pages that every commit rewrites (the ends of the b-trees) are copied to
          // the file once per 10,000 and the fsyncs come a tenth as often. The WAL's fsync
          // finds little to write: `WalSync` has synced it on a thread meanwhile.
          if (exclusive) db.pragma('wal_autocheckpoint = 10000');
          db.pragma('foreign_keys = ON');
          // A write takes the exclusive lock for good: another process fails now, not mid-request.
          if (exclusive) db.exec('BEGIN IMMEDIATE; COMMIT');
          // The lock is ours: a server that dies from now on is checked at its next start.
          const trusted = inOrder && forgetClose(opts.file);
          if (opts.file !== ':memory:' && !trusted) checkIntegrity(db, opts.file);
          migrate(db, opts.file);
          // From now on a lock is waited for on a timer (retryBusy), never inside SQLite.
          db.pragma('busy_timeout = 0');
        },
        OPEN_BUSY_TIMEOUT_MS,
      );
    } catch (err) {
      throw openError(opts.file, err);
    }
    this.cache = new SessionCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
    this.shared = !exclusive && opts.file !== ':memory:';
    this.walSync = opts.file === ':memory:' ? null : new WalSync(opts.file);
    this.batch = new SqliteWriteBatch(this.db, this.file, this.busyWaitMs, () =>
      this.walSync?.wrote(),
    );
    const db = this.db;
    this.q = {
      session: db.prepare<[string], SessionRow>(
        'SELECT id, created, accessed, expires, version FROM sessions WHERE id = ?',
      ),
      load: db.prepare<[number, string], LoadRow>(
        `SELECT s.id, s.created, s.accessed, s.expires, s.version,
                n.name, CASE WHEN length(n.pickle) <= ? THEN n.pickle END AS pickle,
                length(n.pickle) AS size, n.preview, n.version AS nsVersion
         FROM sessions s LEFT JOIN namespaces n ON n.session = s.id WHERE s.id = ?`,
      ),
      pickle: db.prepare<[string, string, number, number], { pickle: Buffer }>(
        `SELECT n.pickle FROM namespaces n JOIN sessions s ON s.id = n.session
         WHERE n.session = ? AND n.name = ? AND n.version = ? AND s.version = ?`,
      ),
      nsMeta: db.prepare<
        [string],
        { name: string; size: number; preview: string; version: number }
      >(
        'SELECT name, length(pickle) AS size, preview, version FROM namespaces WHERE session = ? ORDER BY name',
      ),
      insertSession: db.prepare(
        'INSERT INTO sessions (id, created, accessed, expires, version) VALUES (?, ?, ?, ?, 1)',
      ),
      bump: db.prepare(
        'UPDATE sessions SET accessed = ?, expires = ?, version = version + 1 WHERE id = ?',
      ),
      touch: db.prepare('UPDATE sessions SET accessed = ?, expires = ? WHERE id = ?'),
      rename: db.prepare(
        'UPDATE sessions SET id = ?, accessed = ?, expires = ?, version = version + 1 WHERE id = ?',
      ),
      upsert: db.prepare<[string, string, Buffer, string], { version: number }>(
        `INSERT INTO namespaces (session, name, pickle, preview, version) VALUES (?, ?, ?, ?, 1)
         ON CONFLICT (session, name) DO UPDATE SET pickle = excluded.pickle, preview = excluded.preview,
           version = version + 1
         RETURNING version`,
      ),
      deleteNs: db.prepare('DELETE FROM namespaces WHERE session = ? AND name = ?'),
      deleteSession: db.prepare('DELETE FROM sessions WHERE id = ?'),
      sweep: db.prepare<[number], { id: string }>(
        'DELETE FROM sessions WHERE expires <= ? RETURNING id',
      ),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }

  /** `run` now, or on a timer while another process holds the lock; failures name the file. */
  private retrying<T>(run: () => T): Promise<T> {
    return retryBusy(this.file, this.busyWaitMs, run);
  }

  /** One statement (a join) for the session and its namespaces: the read path of every request. */
  async load(id: string, now: number, held = false): Promise<StoredSession | null> {
    let cached = this.cache.get(id);
    if (this.shared && !(held && cached)) {
      this.forgetIfChanged();
      cached = this.cache.get(id);
    }
    if (cached) return cached.expires > now ? cached : null;
    return this.retrying(() => this.loadNow(id, now));
  }

  /**
   * A shared store: forgets every kept session when another connection (another process, or
   * another store on this file) has committed since the last look. A session's writers hold
   * its lock, which the loader holds now, so a change to it was committed before this look.
   */
  private forgetIfChanged(): void {
    let version: number;
    try {
      version = this.q.dataVersion.get()!;
    } catch {
      version = -1; // not known: nothing kept is trusted
    }
    if (version === this.dataVersion && version !== -1) return;
    this.cache.clear();
    this.dataVersion = version;
  }

  private loadNow(id: string, now: number): StoredSession | null {
    // The exclusive store reads every pickle once; a shared one leaves big ones for their use.
    const rows = this.q.load.all(this.shared ? LOAD_PICKLE_BYTES : Number.MAX_SAFE_INTEGER, id);
    const row = rows[0];
    if (!row || row.expires <= now) return null;
    const ns = new Map<string, StoredNamespace>();
    const nsBytes = new Map<string, number>();
    const at = { id: row.id, version: row.version };
    let whole = true;
    for (const n of rows) {
      if (n.name === null) continue; // a session without namespaces: one row, no namespace
      const preview = JSON.parse(n.preview!) as PreviewValue;
      if (n.pickle === null) whole = false;
      ns.set(
        n.name,
        n.pickle !== null
          ? { pickle: n.pickle, preview, version: n.nsVersion! }
          : new UnreadNamespace(preview, n.nsVersion!, n.size!, at, (sid, sv) =>
              this.readPickle(sid, n.name!, n.nsVersion!, sv),
            ),
      );
      nsBytes.set(n.name, n.size! + n.preview!.length);
    }
    const s = storedSession(row, ns);
    // an unread pickle is read at this version of the session only: not for later requests
    if (whole) this.cache.set(s, nsBytes);
    return s;
  }

  /** A pickle the load left unread, as it was then: the session still at `sessionVersion`. */
  private readPickle(id: string, name: string, nsVersion: number, sessionVersion: number): Buffer {
    let found;
    try {
      found = this.q.pickle.get(id, name, nsVersion, sessionVersion);
    } catch (err) {
      throw storeError(this.file, err);
    }
    if (found) return found.pickle;
    let actual: number | null = null;
    try {
      actual = this.q.session.get(id)?.version ?? null;
    } catch {
      // the conflict is reported all the same, without the version it moved to
    }
    throw new SessionConflictError(id, sessionVersion, actual);
  }

  async commit(c: SessionCommit): Promise<CommitResult> {
    const previews = new Map<string, string>();
    for (const [name, v] of c.upsert) previews.set(name, JSON.stringify(v.preview));
    let created: number | null = null; // the session's creation time when this commit made it
    const result = await this.batch.write((): CommitResult => {
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
        // Inserted at its first version: a bump would rewrite both of its index entries.
        this.q.insertSession.run(c.id, c.now, c.now, c.expires);
        created = c.now;
      } else this.q.bump.run(c.now, c.expires, c.id);
      const versions = new Map<string, number>();
      for (const name of c.delete) this.q.deleteNs.run(c.id, name);
      for (const [name, v] of c.upsert)
        versions.set(name, this.q.upsert.get(c.id, name, v.pickle, previews.get(name)!)!.version);
      return { version: (live?.version ?? 0) + 1, versions };
    });
    this.cache.commit(
      c,
      created,
      result,
      (name, v) => v.pickle.length + previews.get(name)!.length,
    );
    return result;
  }

  async touch(id: string, now: number, expires: number): Promise<boolean> {
    const changed = await this.batch.write(() => this.q.touch.run(now, expires, id).changes > 0);
    const kept = this.cache.peek(id);
    if (kept) this.cache.replace(id, { ...kept.session, accessed: now, expires });
    return changed;
  }

  async rename(oldId: string, newId: string, now: number, expires: number): Promise<void> {
    const r = await this.batch.write(() => this.q.rename.run(newId, now, expires, oldId));
    if (r.changes === 0)
      throw new SessionStoreError(`session ${oldId}: cannot regenerate, it does not exist`, oldId);
    const kept = this.cache.peek(oldId);
    if (kept) {
      const s = kept.session;
      this.cache.replace(oldId, {
        ...s,
        id: newId,
        accessed: now,
        expires,
        version: s.version + 1,
      });
    }
  }

  async delete(id: string, expectVersion?: number): Promise<boolean> {
    const deleted = await this.batch.write((): boolean => {
      if (expectVersion !== undefined) {
        const row = this.q.session.get(id);
        if ((row?.version ?? null) !== expectVersion) {
          throw new SessionConflictError(id, expectVersion, row?.version ?? null);
        }
      }
      return this.q.deleteSession.run(id).changes > 0;
    });
    this.cache.delete(id);
    return deleted;
  }

  async sweep(now: number): Promise<number> {
    // What it deleted leaves the memory by id: a look at every kept session instead cost each
    // sweep ~2 ms per 60,000 of them, at one sweep in a thousand requests by default.
    const gone = await this.batch.write(() => this.q.sweep.all(now));
    for (const { id } of gone) this.cache.delete(id);
    return gone.length;
  }

  list(query: SessionListQuery, now: number): Promise<Page<SessionSummary>> {
    return this.retrying(() => this.listNow(query, now));
  }

  private listNow(query: SessionListQuery, now: number): Page<SessionSummary> {
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

  view(id: string, now: number): Promise<SessionView | null> {
    return this.retrying(() => this.viewNow(id, now));
  }

  private viewNow(id: string, now: number): SessionView | null {
    const row = this.q.session.get(id);
    if (!row || row.expires <= now) return null;
    const ns = this.q.nsMeta.all(id).map((n) => ({
      name: n.name,
      version: n.version,
      size: n.size,
      preview: JSON.parse(n.preview) as PreviewValue,
    }));
    return { ...row, namespaces: ns.map((n) => n.name), namespaceViews: ns };
  }

  async close(): Promise<void> {
    if (this.db.open) await this.batch.drain();
    await this.walSync?.close();
    this.cache.clear();
    if (!this.db.open) return;
    this.db.close();
    if (this.exclusive) noteClose(this.file);
  }
}

/** A namespace whose pickle the load left in the file: read on first use, then kept. */
class UnreadNamespace implements StoredNamespace {
  readonly unread: StoredNamespace['unread'];
  private kept: Buffer | undefined;

  constructor(
    readonly preview: PreviewValue,
    readonly version: number,
    size: number,
    private readonly loadedAt: { readonly id: string; readonly version: number },
    fetch: (sessionId: string, sessionVersion: number) => Buffer,
  ) {
    this.unread = { size, read: (sid, sv) => (this.kept ??= fetch(sid, sv)) };
  }

  get pickle(): Buffer {
    return this.unread!.read(this.loadedAt.id, this.loadedAt.version);
  }
}

/**
 * `PRAGMA quick_check`: the b-trees' structure, in one pass over the file (a few ms per MB).
 * A damaged store found now stops the start with what to do; found later, every request of a
 * session on a damaged page would fail. Left out for an exclusive store that its last close
 * left in order (`sqlite-clean-close.ts`).
 */
function checkIntegrity(db: Database.Database, file: string): void {
  const rows = db.pragma('quick_check(5)') as { quick_check: string }[];
  const problems = rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
  if (problems.length > 0) throw damagedError(file, `quick_check: ${problems.join('; ')}`);
}

/** A failure to open, with what to do about the usual one: another process holding the file. */
function openError(file: string, err: unknown): SessionStoreError {
  if (err instanceof SessionStoreError) return err;
  const mapped = storeError(file, err);
  if (mapped instanceof SessionStoreError) return mapped;
  const busy = (err as { code?: string }).code === 'SQLITE_BUSY';
  const why = busy
    ? 'another process holds it locked (a `pse serve --production` keeps its session store to itself: it cannot share it with another server, `pse studio` or `pse run` of the app)'
    : err instanceof Error
      ? err.message
      : String(err);
  return new SessionStoreError(`session store ${file}: cannot open: ${why}`, undefined, undefined, {
    cause: err,
  });
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Brings the schema up to date in one IMMEDIATE transaction: processes that open a new store
 * at the same moment (the instances of one `pse serve`) take turns, and each one after the first
 * finds the schema made.
 */
function migrate(db: Database.Database, file: string): void {
  db.transaction(() => {
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > MIGRATIONS.length) {
      throw new Error(
        `${file} has schema version ${current}, newer than this PSE knows (${MIGRATIONS.length}); upgrade PSE`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  }).immediate();
}
