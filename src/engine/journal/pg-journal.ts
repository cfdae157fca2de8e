/**
 * The request journal of a cluster: the tables `<Table>_journal` and `<Table>_journal_pickles`
 * next to the PostgreSQL sessions (pg-schema.ts creates them), written by every process that
 * serves the store, each entry naming its process (`servedBy`). Same contract as the SQLite
 * journal (journal.ts): recording never waits for the database or fails a request; reads flush
 * this process's queue first.
 *
 * Serials come from one sequence in blocks of JOURNAL_SERIAL_BLOCK (its increment), so that a
 * request knows its serial when it starts (live views show it) and no two processes collide.
 * A block serves while it is fresh (BLOCK_FRESH_MS); a serial taken from a stale block, or a
 * provisional one (negative: no block yet), is renumbered when written, so that a process that
 * was idle does not file its new entries under old serials. A follower (Studio), whose own
 * serials are seen live as they are taken, renews a stale block as soon as it hears that others
 * write past it, and keeps the serials it hands out. `get` and `pickle` find an entry by
 * the serial its request started with, too.
 *
 * Live: each write batch ends with a NOTIFY on the store's channel naming the serials written
 * and the session changes this process made since the last one. A process that follows the
 * cluster (Studio) LISTENs and re-emits what other processes did as its own live events:
 * `requestFinished` for their entries, `sessionChanged` for their session changes.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { JournalEntry, JournalQuery, ServedBy } from '../../common/types/journal.js';
import { describePgTarget, type PgTarget } from '../config/pg-target.js';
import {
  hearCheckedOutErrors,
  isConnectionFailure,
  messageOf,
  pgClientConfig,
} from '../session/pg-connection.js';
import { JOURNAL_SERIAL_BLOCK, pgTables, type PgTables } from '../session/pg-schema.js';
import type { SessionChangedEvent, SessionEvents } from '../session/events.js';
import { entryRow } from './entry-row.js';
import type { RequestEvents } from './events.js';
import {
  finishDraft,
  type JournalDraft,
  type PicklePhase,
  type RequestJournal,
} from './journal.js';
import { valueCap, type KeptPickle } from './large-values.js';
import { thisProcess } from './served-by.js';
import { notices, type JournalNotice } from './pg-notices.js';
import { MAX_ALIASES, SerialAliases } from './serial-aliases.js';

/** Entries wait this long (or until FLUSH_BATCH are queued), then go in one transaction. */
const FLUSH_MS = 20;
const FLUSH_BATCH = 64;
/** how long a reserved block of serials is used */
const BLOCK_FRESH_MS = 1000;
/** new blocks are asked for when this few serials are left (or fewer than used lately) */
const BLOCK_LOW = JOURNAL_SERIAL_BLOCK / 4;
/** blocks reserved at once at most (a busy process takes twice what it used since the last) */
const BLOCKS_MAX = 64;
/** entries kept in memory while the database cannot be written (the oldest go first) */
const MAX_QUEUED = 2000;
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 2000;
/** the caps are enforced at most this often (by whichever process writes) */
const TRIM_EVERY_MS = 1000;
/** a lost LISTEN connection is reopened after this long */
const RELISTEN_MS = 1000;

export interface PgJournalOptions {
  /** the database; null = the PG* environment variables */
  target: PgTarget | null;
  /** the sessions table, as pse.conf's `Table` */
  table: string;
  /** entries kept (`[Studio] JournalSize`, at least 1) */
  size: number;
  /** bytes kept (`[Studio] JournalMaxBytes`); 0: no byte cap */
  maxBytes: number;
  events?: RequestEvents;
  /** this process's session changes are told to the cluster; with `follow`, the others' too */
  sessions?: SessionEvents;
  /** LISTEN: other processes' entries and session changes become this process's live events */
  follow?: boolean;
  log: (message: string) => void;
}

interface Queued {
  entry: JournalEntry;
  /** the entry's JSON without its serial (entry-row.ts) */
  json: string;
  pickles: KeptPickle[];
}

export class PgJournal implements RequestJournal {
  readonly enabled = true;
  readonly servedBy: ServedBy = thisProcess();
  readonly where: string;
  private readonly t: PgTables;
  private readonly id = randomBytes(9).toString('base64url');
  private readonly cap: number;
  /** the serials reserved: the current block, then the starts of the others reserved with it */
  private block: { next: number; end: number; spare: number[]; at: number } | null = null;
  /** serials handed out since the last reservation (sizes the next) */
  private used = 0;
  private renewing: Promise<void> | null = null;
  private provisional = 0;
  /** serials taken from a stale block: renumbered when written */
  private readonly stale = new Set<number>();
  private readonly aliases = new SerialAliases();
  private queue: Queued[] = [];
  private changes: SessionChangedEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<boolean> = Promise.resolve(true);
  private failing: { retryMs: number; dropped: number } | null = null;
  private lastTrim = 0;
  /** set while other processes' session changes are re-emitted here (not to be told back) */
  private relaying = false;
  private listener: pg.Client | null = null;
  private listenTimer: NodeJS.Timeout | null = null;
  private listenLost = false;
  private notices: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void) | null;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly o: PgJournalOptions,
  ) {
    this.t = pgTables(o.table);
    this.where = `${describePgTarget(o.target)} table ${this.t.journal}`;
    this.cap = valueCap(o.maxBytes);
    this.unsubscribe =
      o.sessions?.on('sessionChanged', (e) => {
        if (this.relaying) return;
        this.changes.push(e);
        this.schedule(FLUSH_MS);
      }) ?? null;
  }

  /**
   * Connects and reserves a first block of serials (the store has created or checked the
   * schema already); with `follow`, starts listening. An unreachable database throws.
   */
  static async open(o: PgJournalOptions): Promise<PgJournal> {
    const pool = hearCheckedOutErrors(
      new pg.Pool({ ...pgClientConfig(o.target), max: 2, idleTimeoutMillis: 30_000 }),
    );
    // an idle connection lost (server restart) is dropped by the pool; without a listener it
    // would take the process down
    pool.on('error', () => undefined);
    const j = new PgJournal(pool, o);
    try {
      await j.renew();
      if (!j.block) throw new Error(`journal ${j.where}: no serials could be reserved`);
      if (o.follow) await j.listen();
    } catch (err) {
      await j.close();
      throw new Error(`journal ${j.where}: cannot open: ${messageOf(err, o.target)}`, {
        cause: err,
      });
    }
    return j;
  }

  // ------------------------------------------------------------------------------ serials

  takeSerial(): number {
    const b = this.block;
    if (b && b.next >= b.end && b.spare.length) {
      b.next = b.spare.shift()!;
      b.end = b.next + JOURNAL_SERIAL_BLOCK;
    }
    if (!b || b.next >= b.end) {
      void this.renew();
      return --this.provisional;
    }
    const serial = b.next++;
    this.used++;
    // A follower (Studio) shows its serials live: it renews ahead of time instead (relay()).
    if (!this.o.follow && performance.now() - b.at > BLOCK_FRESH_MS) {
      // served at once all the same; renumbered when written, by when a fresh block is here
      if (this.stale.size >= MAX_ALIASES) this.stale.clear();
      this.stale.add(serial);
      void this.renew();
    } else if (
      b.end - b.next + b.spare.length * JOURNAL_SERIAL_BLOCK <=
      Math.max(BLOCK_LOW, this.used / 2)
    )
      void this.renew();
    return serial;
  }

  /**
   * Reserves blocks of serials, as many as twice those used since the last time (one
   * reservation at a time; a failure leaves the old ones).
   */
  private renew(): Promise<void> {
    if (this.renewing) return this.renewing;
    const blocks = Math.min(
      BLOCKS_MAX,
      Math.max(1, Math.ceil((2 * this.used) / JOURNAL_SERIAL_BLOCK)),
    );
    this.used = 0;
    this.renewing = this.pool
      .query<{ s: string }>('SELECT nextval($1::regclass) AS s FROM generate_series(1, $2)', [
        this.t.journalSerial,
        blocks,
      ])
      .then(
        (r) => {
          const starts = r.rows.map((row) => Number(row.s));
          const start = starts.shift()!;
          this.block = {
            next: start,
            end: start + JOURNAL_SERIAL_BLOCK,
            spare: starts,
            at: performance.now(),
          };
        },
        () => undefined, // the write path reports an unreachable database
      )
      .finally(() => (this.renewing = null));
    return this.renewing;
  }

  /** The serial an entry was written under (a request's first serial may have been renumbered). */
  private resolve(serial: number): number {
    return this.aliases.resolve(serial);
  }

  // ------------------------------------------------------------------------------ writing

  record(draft: JournalDraft, serial = this.takeSerial()): JournalEntry {
    const written = !this.closed;
    const { entry, kept, json } = finishDraft(draft, serial, this.cap, this.servedBy, written);
    if (written) {
      this.queue.push({ entry, json, pickles: kept });
      if (this.queue.length > MAX_QUEUED) {
        this.queue.shift();
        if (this.failing) this.failing.dropped++;
      }
      this.schedule(this.queue.length >= FLUSH_BATCH ? 0 : FLUSH_MS);
    }
    this.o.events?.emit('requestFinished', entry);
    return entry;
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  /** Writes what is queued (after any write in progress); false if the database refused. */
  flush(): Promise<boolean> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.writing = this.writing.then(() => this.writeQueued());
    return this.writing;
  }

  private async writeQueued(): Promise<boolean> {
    if (this.queue.length === 0 && this.changes.length === 0) return true;
    const batch = this.queue;
    const changes = this.changes;
    this.queue = [];
    this.changes = [];
    let aliases: [number, number][];
    try {
      aliases = await this.write(batch, changes);
    } catch (err) {
      if (!isConnectionFailure(err)) {
        // the database refused these entries themselves: retrying would hold up every later one
        this.o.log(
          `journal ${this.where}: ${batch.length} entries could not be written and were dropped: ${messageOf(err, this.o.target)}`,
        );
        return false;
      }
      // back in front, in order; retried with back-off
      const overflow = Math.max(0, batch.length + this.queue.length - MAX_QUEUED);
      this.queue = [...batch, ...this.queue].slice(-MAX_QUEUED);
      this.changes = [...changes, ...this.changes].slice(-MAX_QUEUED);
      const first = !this.failing;
      this.failing = {
        retryMs: first ? RETRY_FIRST_MS : Math.min(this.failing!.retryMs * 2, RETRY_MAX_MS),
        dropped: (this.failing?.dropped ?? 0) + overflow,
      };
      if (first)
        this.o.log(
          `journal ${this.where}: cannot be written: ${messageOf(err, this.o.target)}. Requests are served as usual; their entries wait in memory and are written when it can be (retrying)`,
        );
      this.schedule(this.failing.retryMs);
      return false;
    }
    this.aliases.add(aliases);
    for (const [from] of aliases) this.stale.delete(from);
    if (this.failing) {
      const { dropped } = this.failing;
      this.failing = null;
      this.o.log(
        `journal ${this.where}: written again${dropped ? `; ${dropped} entries were dropped while it could not be (more than ${MAX_QUEUED} waited)` : ''}`,
      );
    }
    return true;
  }

  /** One batch in one transaction, its NOTIFY last (delivered at commit). */
  private async write(
    batch: Queued[],
    changes: SessionChangedEvent[],
  ): Promise<[number, number][]> {
    const t = this.t;
    const c = await this.pool.connect();
    let broken = false;
    try {
      await c.query('BEGIN');
      const aliases: [number, number][] = [];
      const renumber = batch.filter((q) => q.entry.serial < 0 || this.stale.has(q.entry.serial));
      if (renumber.length) {
        const fresh = await this.freshSerials(c, renumber.length);
        renumber.forEach((q, i) => aliases.push([q.entry.serial, fresh[i]!]));
      }
      const renamed = new Map(aliases);
      const rows = batch.map(({ entry, json: body, pickles }) => {
        const serial = renamed.get(entry.serial) ?? entry.serial;
        const json = entryRow(body, serial);
        let bytes = json.length;
        for (const p of pickles) bytes += p.pickle.length;
        return { serial, entry, json, bytes, pickles };
      });
      if (rows.length) {
        await c.query(
          `INSERT INTO ${t.journal} (serial, time, session, outcome, path, host, pid, instance, entry, bytes)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                                $6::text[], $7::integer[], $8::integer[], $9::text[], $10::integer[])`,
          [
            rows.map((r) => r.serial),
            rows.map((r) => r.entry.time),
            rows.map((r) => r.entry.sessionId),
            rows.map((r) => r.entry.outcome),
            rows.map((r) => noNul(r.entry.path)),
            rows.map(() => this.servedBy.host),
            rows.map(() => this.servedBy.pid),
            rows.map(() => this.servedBy.instance),
            rows.map((r) => r.json),
            rows.map((r) => r.bytes),
          ],
        );
        const ps = rows.flatMap((r) => r.pickles.map((p) => ({ serial: r.serial, ...p })));
        if (ps.length)
          await c.query(
            `INSERT INTO ${t.journalPickles} (serial, name, phase, pickle)
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bytea[])
             ON CONFLICT (serial, name, phase) DO UPDATE SET pickle = excluded.pickle`,
            [
              ps.map((p) => p.serial),
              ps.map((p) => p.name),
              ps.map((p) => p.phase),
              ps.map((p) => p.pickle),
            ],
          );
        if (performance.now() - this.lastTrim > TRIM_EVERY_MS) {
          this.lastTrim = performance.now();
          await this.trim(c);
        }
      }
      for (const payload of notices(
        this.id,
        rows.map((r) => r.serial),
        changes,
      ))
        await c.query('SELECT pg_notify($1, $2)', [t.channel, payload]);
      await c.query('COMMIT');
      return aliases;
    } catch (err) {
      broken = isConnectionFailure(err);
      if (!broken) await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release(broken);
    }
  }

  /** Serials for entries renumbered at write: the fresh block's, else new ones. */
  private async freshSerials(c: pg.PoolClient, n: number): Promise<number[]> {
    const out: number[] = [];
    const b = this.block;
    while (b && out.length < n && performance.now() - b.at <= BLOCK_FRESH_MS) {
      if (b.next >= b.end && b.spare.length) {
        b.next = b.spare.shift()!;
        b.end = b.next + JOURNAL_SERIAL_BLOCK;
      }
      if (b.next >= b.end) break;
      out.push(b.next++);
    }
    if (out.length < n) {
      const blocks = Math.ceil((n - out.length) / JOURNAL_SERIAL_BLOCK);
      const r = await c.query<{ s: string }>(
        'SELECT nextval($1::regclass) AS s FROM generate_series(1, $2)',
        [this.t.journalSerial, blocks],
      );
      for (const row of r.rows) {
        const start = Number(row.s);
        for (let s = start; s < start + JOURNAL_SERIAL_BLOCK && out.length < n; s++) out.push(s);
      }
    }
    return out;
  }

  /** The caps (`JournalSize`, `JournalMaxBytes`): the oldest entries go (pickles with them). */
  private async trim(c: pg.PoolClient): Promise<void> {
    const t = this.t;
    await c.query(
      `DELETE FROM ${t.journal} WHERE serial <= (SELECT serial FROM ${t.journal} ORDER BY serial DESC OFFSET $1 LIMIT 1)`,
      [this.o.size],
    );
    if (this.o.maxBytes > 0)
      await c.query(
        `DELETE FROM ${t.journal} WHERE serial <= (
           SELECT serial FROM (SELECT serial, sum(bytes) OVER (ORDER BY serial DESC) AS total FROM ${t.journal}) w
           WHERE total > $1 ORDER BY serial DESC LIMIT 1)`,
        [this.o.maxBytes],
      );
  }

  // ------------------------------------------------------------------------------ reading

  async list(query: JournalQuery = {}): Promise<JournalEntry[]> {
    await this.flush();
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 1000);
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (cond: string, v: unknown): void => {
      values.push(v);
      where.push(cond.replace('?', `$${values.length}`));
    };
    if (query.before !== undefined) add('serial < ?', query.before);
    if (query.sessionId !== undefined) add('session = ?', query.sessionId);
    if (query.outcome !== undefined) add('outcome = ?', query.outcome);
    if (query.path) add('strpos(path, ?) > 0', noNul(query.path));
    const r = await this.pool.query<{ entry: string }>(
      `SELECT entry FROM ${this.t.journal} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY serial DESC LIMIT ${limit}`,
      values,
    );
    return r.rows.map((row) => JSON.parse(row.entry) as JournalEntry);
  }

  async get(serial: number): Promise<JournalEntry | null> {
    await this.flush();
    const r = await this.pool.query<{ entry: string }>(
      `SELECT entry FROM ${this.t.journal} WHERE serial = $1`,
      [this.resolve(serial)],
    );
    const row = r.rows[0];
    return row ? (JSON.parse(row.entry) as JournalEntry) : null;
  }

  async pickle(serial: number, name: string, phase: PicklePhase): Promise<Buffer | null> {
    await this.flush();
    const r = await this.pool.query<{ pickle: Buffer }>(
      `SELECT pickle FROM ${this.t.journalPickles} WHERE serial = $1 AND name = $2 AND phase = $3`,
      [this.resolve(serial), name, phase],
    );
    return r.rows[0]?.pickle ?? null;
  }

  /** Forgets every entry of the whole cluster (Studio's "clear the log"). */
  async clear(): Promise<void> {
    this.queue = [];
    await this.flush();
    await this.pool.query(`DELETE FROM ${this.t.journal}`);
  }

  // ------------------------------------------------------------------------------ following

  private async listen(): Promise<void> {
    const c = new pg.Client(pgClientConfig(this.o.target));
    c.on('error', () => undefined);
    c.on('end', () => this.lostListener());
    c.on('notification', (m) => {
      if (m.channel !== this.t.channel || !m.payload) return;
      const payload = m.payload;
      this.notices = this.notices.then(() => this.relay(payload)).catch(() => undefined);
    });
    await c.connect();
    await c.query(`LISTEN ${pgIdent(this.t.channel)}`);
    this.listener = c;
    if (this.listenLost) {
      this.listenLost = false;
      this.o.log(`journal ${this.where}: following the cluster again`);
    }
  }

  private lostListener(): void {
    this.listener = null;
    if (this.closed || this.listenTimer) return;
    if (!this.listenLost) {
      this.listenLost = true;
      this.o.log(
        `journal ${this.where}: lost the connection that follows other processes; reconnecting`,
      );
    }
    this.listenTimer = setTimeout(() => {
      this.listenTimer = null;
      if (this.closed) return;
      this.listen().catch(() => this.lostListener());
    }, RELISTEN_MS);
    this.listenTimer.unref();
  }

  /** Another process's batch: its entries and session changes as live events here. */
  private async relay(payload: string): Promise<void> {
    let n: JournalNotice;
    try {
      n = JSON.parse(payload) as JournalNotice;
    } catch {
      return;
    }
    if (n.w === this.id || this.closed) return;
    // Others write past this process's serials: a block kept that long is renewed now, so that
    // its next request, shown live under its serial, is not filed before theirs.
    const b = this.block;
    if (
      b &&
      n.s.some((s) => s > b.next) &&
      performance.now() - b.at > BLOCK_FRESH_MS &&
      !this.renewing
    ) {
      void this.renew();
    }
    if (n.s.length && this.o.events?.has('requestFinished')) {
      const r = await this.pool.query<{ entry: string }>(
        `SELECT entry FROM ${this.t.journal} WHERE serial = ANY ($1::bigint[]) ORDER BY serial`,
        [n.s],
      );
      for (const row of r.rows)
        this.o.events.emit('requestFinished', JSON.parse(row.entry) as JournalEntry);
    }
    if (n.c.length && this.o.sessions) {
      this.relaying = true;
      try {
        for (const e of n.c) this.o.sessions.emit('sessionChanged', e);
      } finally {
        this.relaying = false;
      }
    }
  }

  // ------------------------------------------------------------------------------ closing

  async close(): Promise<void> {
    if (this.closed) return;
    const ok = await this.flush();
    if (!ok && this.queue.length)
      this.o.log(
        `journal ${this.where}: ${this.queue.length} entries could not be written before closing`,
      );
    this.closed = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    if (this.listenTimer) clearTimeout(this.listenTimer);
    await this.notices;
    await this.listener?.end().catch(() => undefined);
    await this.renewing;
    await this.pool.end().catch(() => undefined);
  }
}

/** PostgreSQL text holds no NUL character: the path column gets U+FFFD instead (the entry's JSON escapes it). */
function noNul(s: string): string {
  return s.includes('\0') ? s.replaceAll('\0', '\uFFFD') : s;
}

/** A channel name as an identifier (it may hold characters LISTEN needs quoted). */
function pgIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
