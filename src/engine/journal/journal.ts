/**
 * The request journal: one entry per request (and per admin edit), with its session changes,
 * save points, rollback cause, and the pickles needed to restore a recorded state. Kept in its
 * own SQLite file, capped to the newest `size` entries and to `maxBytes` bytes; session values
 * over a per-value bound are noted by size and digest instead (large-values.ts). Writes are
 * batched off the request's critical path by the writer (writer.ts), which never lets a
 * journal that cannot be written (locked by another process, full disk) cost a request or
 * the server; every read flushes the queue first, so readers see every finished request that
 * could be written. Several processes may write one journal.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { openConfigured } from '../sqlite.js';
import { WalCheckpointer, backstopPages } from '../wal-checkpointer.js';
import type { JournalEntry, JournalQuery, ServedBy } from '../../common/types/journal.js';
import type { RequestEvents } from './events.js';
import { keepPickles, valueCap, type KeptPickle, type PickleMap } from './large-values.js';
import { thisProcess } from './served-by.js';
import { SESSION_KEY_SQL, sessionKey } from './session-key.js';
import { JournalWriter } from './writer.js';

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
  // 2: serials reserved by every writing process from one counter; entries and bytes counted
  `ALTER TABLE entries ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
   UPDATE entries SET bytes = length(entry) +
     coalesce((SELECT sum(length(p.pickle)) FROM pickles p WHERE p.serial = entries.serial), 0);
   CREATE TABLE serials (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     next INTEGER NOT NULL,
     count INTEGER NOT NULL,
     bytes INTEGER NOT NULL
   );
   INSERT INTO serials
     SELECT 1, coalesce(max(serial), 0) + 1, count(*), coalesce(sum(bytes), 0) FROM entries;`,
  // 3: the session index on a 32-bit key of the id (session-key.ts), not on the id itself
  `ALTER TABLE entries ADD COLUMN sid INTEGER;
   UPDATE entries SET sid = ${SESSION_KEY_SQL}(session) WHERE session IS NOT NULL;
   DROP INDEX entries_session;
   CREATE INDEX entries_sid ON entries (sid, serial);`,
];

export type PicklePhase = 'before' | 'after';

/** Page size of a journal file created from now on (bytes). */
export const PAGE_SIZE = 16_384;

/** At open only (migrations): how long to wait for another process's write lock. */
const OPEN_BUSY_TIMEOUT_MS = 2000;

/** An entry to record; the journal gives it its serial. */
export type JournalDraft = Omit<JournalEntry, 'serial' | 'restorable'> & {
  /** namespace → pickles of its state before / after (null: did not exist) */
  pickles?: PickleMap;
};

/**
 * What the rest of the engine (and Studio, through the admin API) needs of a journal: the
 * SQLite one below or the PostgreSQL one a cluster shares (pg-journal.ts). Recording is
 * synchronous and never fails a request; reads are asynchronous (a database may answer them).
 */
export interface RequestJournal {
  readonly enabled: boolean;
  /** the process whose entries this journal writes */
  readonly servedBy: ServedBy;
  takeSerial(): number;
  record(draft: JournalDraft, serial?: number): JournalEntry;
  /** Writes queued entries now; false if it cannot. */
  flush(): boolean | Promise<boolean>;
  /** Newest first (serial descending), filtered. */
  list(query?: JournalQuery): Promise<JournalEntry[]>;
  get(serial: number): Promise<JournalEntry | null>;
  /** The recorded pickle of a namespace before or after an entry, or null if not kept. */
  pickle(serial: number, name: string, phase: PicklePhase): Promise<Buffer | null>;
  /** Forgets every entry and pickle (Studio's "clear the log"); serials keep counting up. */
  clear(): Promise<void>;
  close(): void | Promise<void>;
}

/**
 * An entry with its serial, as record() makes it: the pickles kept, the rest noted, and, when it
 * is to be `written`, its JSON without the serial (a write may still change the serial:
 * entry-row.ts puts it in front).
 */
export function finishDraft(
  draft: JournalDraft,
  serial: number,
  cap: number,
  servedBy: ServedBy,
  written: boolean,
): { entry: JournalEntry; kept: KeptPickle[]; json: string } {
  const { pickles, ...rest } = draft;
  const { kept, restorable, tooLarge } = keepPickles(pickles, cap);
  // completed in place: the copy made above is the entry (one copy per journaled request)
  const entry = rest as JournalEntry;
  entry.restorable = restorable;
  if (tooLarge.length) entry.tooLarge = tooLarge;
  entry.servedBy = servedBy;
  // Serialized now, while the request's objects are fresh in the cache: at the batch's write,
  // dozens of requests later, the same JSON cost the server ~3× the CPU, and the entries kept
  // until then were copied by every scavenge they survived.
  const json = written ? JSON.stringify(entry) : '';
  entry.serial = serial;
  return { entry, kept, json };
}

export interface JournalOptions {
  /** SQLite file (its folder is created) or ':memory:' */
  file: string;
  /** entries kept (`[Studio] JournalSize`); 0 switches the journal off */
  size: number;
  /** bytes kept (`[Studio] JournalMaxBytes`); 0 or absent: no byte cap */
  maxBytes?: number;
  events?: RequestEvents;
  /** where a journal that cannot be written is reported (once, and once when it recovers) */
  log?: (message: string) => void;
}

export class Journal implements RequestJournal {
  readonly enabled: boolean;
  readonly servedBy: ServedBy = thisProcess();
  private readonly db: Database.Database | null;
  private readonly writer: JournalWriter | null;
  private readonly checkpointer: WalCheckpointer | null = null;
  private readonly events: RequestEvents | undefined;
  private readonly cap: number;
  /** serials of a journal that is off: only live events see them */
  private localSerial = 1;
  private readonly q;

  constructor(opts: JournalOptions) {
    const size = Math.max(0, Math.floor(opts.size));
    const maxBytes = Math.max(0, Math.floor(opts.maxBytes ?? 0));
    this.enabled = size > 0;
    this.events = opts.events;
    this.cap = valueCap(maxBytes);
    if (!this.enabled) {
      this.db = null;
      this.writer = null;
      this.q = null;
      return;
    }
    if (opts.file !== ':memory:') fs.mkdirSync(path.dirname(opts.file), { recursive: true });
    let db: Database.Database;
    try {
      db = openConfigured(
        opts.file,
        (db) => {
          db.pragma(`busy_timeout = ${OPEN_BUSY_TIMEOUT_MS}`);
          // A new file gets 16 KiB pages (an existing one keeps its own: SQLite ignores this
          // then): each batch's commit writes a WAL frame per changed page, so fewer, larger
          // pages cost fewer writes; measured ~13 % less CPU per journaled request.
          db.pragma(`page_size = ${PAGE_SIZE}`);
          db.pragma('journal_mode = WAL');
          db.pragma('synchronous = NORMAL');
          migrate(db, opts.file);
          // from now on nothing waits for a lock inside SQLite: the writer retries on a timer
          db.pragma('busy_timeout = 0');
        },
        OPEN_BUSY_TIMEOUT_MS,
      );
    } catch (err) {
      throw new Error(
        `journal ${opts.file}: cannot open: ${err instanceof Error ? err.message : String(err)}`,
        { cause: err },
      );
    }
    this.db = db;
    if (opts.file !== ':memory:') {
      // checkpoints off the event loop; the connection's own only as a backstop
      this.checkpointer = new WalCheckpointer(opts.file);
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      db.pragma(`wal_autocheckpoint = ${backstopPages(pageSize)}`);
    }
    const checkpointer = this.checkpointer;
    this.writer = new JournalWriter(db, {
      file: opts.file,
      size,
      maxBytes,
      log: opts.log ?? ((m) => console.error(`pse: ${m}`)),
      ...(checkpointer ? { wrote: () => checkpointer.wrote() } : {}),
    });
    this.q = {
      get: db.prepare<[number], { entry: string }>('SELECT entry FROM entries WHERE serial = ?'),
      pickle: db.prepare<[number, string, string], { pickle: Buffer }>(
        'SELECT pickle FROM pickles WHERE serial = ? AND name = ? AND phase = ?',
      ),
    };
  }

  /**
   * Takes a serial for a request that starts now (for the requestStarted event). Negative while
   * the journal cannot be written and its reserved serials are used up: a provisional serial,
   * by which `get` and `pickle` still find the entry once it is written.
   */
  takeSerial(): number {
    return this.writer ? this.writer.takeSerial() : this.localSerial++;
  }

  /** Records an entry (with a serial from takeSerial(), or a new one); returns it. */
  record(draft: JournalDraft, serial = this.takeSerial()): JournalEntry {
    const written = this.writer !== null;
    const { entry, kept, json } = finishDraft(draft, serial, this.cap, this.servedBy, written);
    if (written) {
      let pickleBytes = 0;
      for (const p of kept) pickleBytes += p.pickle.length;
      this.writer.enqueue({ entry, json, pickles: kept, pickleBytes });
    }
    this.events?.emit('requestFinished', entry);
    return entry;
  }

  /** Writes queued entries now (reads call it; so do tests and close()); false if it cannot. */
  flush(): boolean {
    return this.writer?.flush() ?? true;
  }

  /** (async, as a database's: a failure rejects) */
  async list(query: JournalQuery = {}): Promise<JournalEntry[]> {
    return this.listNow(query);
  }

  /** list(), answered at once (SQLite reads do not wait). */
  listNow(query: JournalQuery = {}): JournalEntry[] {
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
      where.push('sid = @sid AND session = @session');
      params.sid = sessionKey(query.sessionId);
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

  async get(serial: number): Promise<JournalEntry | null> {
    return this.getNow(serial);
  }

  getNow(serial: number): JournalEntry | null {
    if (!this.q) return null;
    this.flush();
    const r = this.q.get.get(this.writer!.resolve(serial));
    return r ? (JSON.parse(r.entry) as JournalEntry) : null;
  }

  async pickle(serial: number, name: string, phase: PicklePhase): Promise<Buffer | null> {
    return this.pickleNow(serial, name, phase);
  }

  /** The recorded pickle of a namespace before or after an entry, or null if not kept. */
  pickleNow(serial: number, name: string, phase: PicklePhase): Buffer | null {
    if (!this.q) return null;
    this.flush();
    return this.q.pickle.get(this.writer!.resolve(serial), name, phase)?.pickle ?? null;
  }

  /** Forgets every entry and pickle (Studio's "clear the log"); serials keep counting up. */
  async clear(): Promise<void> {
    this.writer?.clear();
  }

  close(): void | Promise<void> {
    if (!this.db?.open) return;
    this.writer!.close();
    this.db.close();
    return this.checkpointer?.close();
  }
}

/** Applies the missing migrations in one write transaction (another process may race us). */
function migrate(db: Database.Database, file: string): void {
  const apply = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new Error(
        `journal schema version ${version} is newer than this PSE knows; upgrade PSE, or delete ${file} (it is Studio's request history)`,
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  if ((db.pragma('user_version', { simple: true }) as number) !== MIGRATIONS.length) {
    // for migration 3, which keys the rows already written
    db.function(SESSION_KEY_SQL, { deterministic: true }, (id) =>
      typeof id === 'string' ? sessionKey(id) : null,
    );
    apply.immediate();
  }
}
