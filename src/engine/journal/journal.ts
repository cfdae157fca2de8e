/**
 * The request journal: one entry per request (and per admin edit), with its session changes,
 * save points, rollback cause, and the pickles needed to restore a recorded state. Kept in its
 * own SQLite file, capped to the newest `size` entries. Writes are batched: entries are queued
 * and written in one transaction every FLUSH_MS, off the request's critical path;
 * every read flushes the queue first, so readers always see every finished request.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../sqlite.js';
import type { JournalEntry, JournalQuery } from '../../common/types/journal.js';
import type { RequestEvents } from './events.js';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE entries (
     serial INTEGER PRIMARY KEY,
     time INTEGER NOT NULL,
     session TEXT,
     outcome TEXT NOT NULL,
     path TEXT NOT NULL,
     entry TEXT NOT NULL
   );
   CREATE INDEX entries_session ON entries (session, serial);
   CREATE TABLE pickles (
     serial INTEGER NOT NULL,
     name TEXT NOT NULL,
     phase TEXT NOT NULL CHECK (phase IN ('before', 'after')),
     pickle BLOB NOT NULL,
     PRIMARY KEY (serial, name, phase)
   ) WITHOUT ROWID;`,
];

export type PicklePhase = 'before' | 'after';

/**
 * Entries wait up to FLUSH_MS (or until FLUSH_BATCH are queued) and go to SQLite in one
 * transaction: under load one commit per few dozen requests instead of one per event-loop
 * turn. Batches stay small because a flush blocks the event loop, and with it the feeding of
 * the workers. Readers flush first, so they never miss a finished request; a crash can lose
 * only the last FLUSH_MS of a debugging aid, never session data (the session store's job).
 */
const FLUSH_MS = 20;
const FLUSH_BATCH = 64;

/** An entry to record; the journal gives it its serial. */
export type JournalDraft = Omit<JournalEntry, 'serial' | 'restorable'> & {
  /** namespace → pickles of its state before / after (null: did not exist) */
  pickles?: Map<string, { before?: Buffer | null; after?: Buffer | null }>;
};

export interface JournalOptions {
  /** SQLite file (its folder is created) or ':memory:' */
  file: string;
  /** entries kept (`[Studio] JournalSize`); 0 switches the journal off */
  size: number;
  events?: RequestEvents;
}

export class Journal {
  readonly enabled: boolean;
  private readonly size: number;
  private readonly db: Database.Database | null;
  private readonly events: RequestEvents | undefined;
  private nextSerial = 1;
  private pending: { entry: JournalEntry; pickles: JournalDraft['pickles'] }[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly q;

  constructor(opts: JournalOptions) {
    this.size = Math.max(0, Math.floor(opts.size));
    this.enabled = this.size > 0;
    this.events = opts.events;
    if (!this.enabled) {
      this.db = null;
      this.q = null;
      return;
    }
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    const db = openDatabase(opts.file);
    this.db = db;
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      db.close();
      throw new Error(
        `${opts.file}: journal schema version ${version} is newer than this PSE knows; upgrade PSE`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[v]!);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
    this.nextSerial =
      (db.prepare<[], { m: number | null }>('SELECT max(serial) AS m FROM entries').get()?.m ?? 0) +
      1;
    this.q = {
      insert: db.prepare(
        'INSERT INTO entries (serial, time, session, outcome, path, entry) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertPickle: db.prepare(
        'INSERT INTO pickles (serial, name, phase, pickle) VALUES (?, ?, ?, ?)',
      ),
      trim: db.prepare('DELETE FROM entries WHERE serial <= ?'),
      trimPickles: db.prepare('DELETE FROM pickles WHERE serial <= ?'),
      get: db.prepare<[number], { entry: string }>('SELECT entry FROM entries WHERE serial = ?'),
      pickle: db.prepare<[number, string, string], { pickle: Buffer }>(
        'SELECT pickle FROM pickles WHERE serial = ? AND name = ? AND phase = ?',
      ),
    };
  }

  /** Takes a serial for a request that starts now (for the requestStarted event). */
  takeSerial(): number {
    return this.nextSerial++;
  }

  /** Records an entry (with a serial from takeSerial(), or a new one); returns it. */
  record(draft: JournalDraft, serial = this.takeSerial()): JournalEntry {
    const { pickles, ...rest } = draft;
    const restorable = [
      ...(pickles ?? new Map<string, { before?: Buffer | null; after?: Buffer | null }>()),
    ].map(([name, p]) => ({ name, before: !!p.before, after: !!p.after }));
    const entry: JournalEntry = { serial, ...rest, restorable };
    if (this.enabled) {
      this.pending.push({ entry, pickles });
      if (this.pending.length >= FLUSH_BATCH) this.flush();
      else if (!this.flushTimer) {
        this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
        // a pending batch never keeps the process alive; close() writes it
        this.flushTimer.unref();
      }
    }
    this.events?.emit('requestFinished', entry);
    return entry;
  }

  /** Writes queued entries now (reads call it; so do tests and close()). */
  flush(): void {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    if (!this.db || !this.q || this.pending.length === 0 || !this.db.open) return;
    const batch = this.pending;
    this.pending = [];
    const q = this.q;
    this.db.transaction(() => {
      let last = 0;
      for (const { entry, pickles } of batch) {
        q.insert.run(
          entry.serial,
          entry.time,
          entry.sessionId,
          entry.outcome,
          entry.path,
          JSON.stringify(entry),
        );
        for (const [name, p] of pickles ?? []) {
          if (p.before) q.insertPickle.run(entry.serial, name, 'before', p.before);
          if (p.after) q.insertPickle.run(entry.serial, name, 'after', p.after);
        }
        last = Math.max(last, entry.serial);
      }
      const cut = last - this.size;
      if (cut > 0) {
        q.trim.run(cut);
        q.trimPickles.run(cut);
      }
    })();
  }

  list(query: JournalQuery = {}): JournalEntry[] {
    if (!this.db) return [];
    this.flush();
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (query.before !== undefined) {
      where.push('serial < @before');
      params.before = query.before;
    }
    if (query.sessionId !== undefined) {
      where.push('session = @session');
      params.session = query.sessionId;
    }
    if (query.outcome !== undefined) {
      where.push('outcome = @outcome');
      params.outcome = query.outcome;
    }
    if (query.path) {
      where.push(`instr(path, @path) > 0`);
      params.path = query.path;
    }
    const sql = `SELECT entry FROM entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY serial DESC LIMIT ${limit}`;
    return this.db
      .prepare<[Record<string, string | number>], { entry: string }>(sql)
      .all(params)
      .map((r) => JSON.parse(r.entry) as JournalEntry);
  }

  get(serial: number): JournalEntry | null {
    if (!this.q) return null;
    this.flush();
    const r = this.q.get.get(serial);
    return r ? (JSON.parse(r.entry) as JournalEntry) : null;
  }

  /** The recorded pickle of a namespace before or after an entry, or null if not kept. */
  pickle(serial: number, name: string, phase: PicklePhase): Buffer | null {
    if (!this.q) return null;
    this.flush();
    return this.q.pickle.get(serial, name, phase)?.pickle ?? null;
  }

  /** Forgets every entry and pickle (Studio's "clear the log"); serials keep counting up. */
  clear(): void {
    if (!this.db || !this.q) return;
    this.pending = [];
    this.db.transaction(() => {
      this.db!.exec('DELETE FROM entries; DELETE FROM pickles;');
    })();
  }

  close(): void {
    if (!this.db?.open) return;
    this.flush();
    this.db.close();
  }
}
