/**
 * The journal's write side: serials, batched writes, the caps, and what happens when the file
 * cannot be written. Several processes may write one journal (Studio, `pse serve`, `pse run`);
 * none of them may be taken down by it.
 *
 * Serials: each process reserves blocks of serials from the `serials` row inside a write
 * transaction (the one that writes a batch, or a tiny one of its own), so that serials are
 * known when a request starts (live views show them) and never collide between processes. A
 * block is sized to the process's recent rate, and goes stale after BLOCK_FRESH_MS, so a
 * process that was idle does not write old serials after another's newer ones. When no block
 * can be reserved (the file is locked or full) and the last one is used up, a request gets a
 * provisional serial (negative); its entry gets a real one when it is written, and reads by
 * the provisional serial find it (`resolve`).
 *
 * Failures: every statement runs with `busy_timeout = 0` (the event loop never waits for a
 * lock). A batch that cannot be written (SQLITE_BUSY, SQLITE_FULL, anything) stays queued, in
 * memory, up to MAX_QUEUED entries (the oldest go first), and is retried with back-off. The
 * failure is reported once, and once more when writing works again. No request waits for the
 * journal or fails because of it.
 */
import type Database from 'better-sqlite3';
import type { JournalEntry } from '../../common/types/journal.js';
import { isBusy, isFull } from '../sqlite.js';
import { entryRow } from './entry-row.js';
import type { KeptPickle } from './large-values.js';
import { SerialAliases } from './serial-aliases.js';
import { sessionKey } from './session-key.js';

/** A finished entry waiting to be written, with the pickles kept of it. */
export interface Queued {
  entry: JournalEntry;
  /** the entry's JSON without its serial (see entryRow) */
  json: string;
  pickles: KeptPickle[];
  /** bytes of its pickles (its JSON is counted when it is written) */
  pickleBytes: number;
}

export interface WriterOptions {
  file: string;
  /** entries kept (`[Studio] JournalSize`) */
  size: number;
  /** bytes kept (`[Studio] JournalMaxBytes`); 0: no byte cap */
  maxBytes: number;
  log: (message: string) => void;
  /** after each batch committed (the journal's checkpointer) */
  wrote?: () => void;
}

/**
 * Entries wait up to FLUSH_MS (or until FLUSH_BATCH are queued) and go to SQLite in one
 * transaction: under load one commit per few dozen requests instead of one per event-loop
 * turn. Batches stay small because a flush blocks the event loop, and with it the feeding of
 * the workers. Readers flush first, so they never miss a finished request; a crash can lose
 * only the last FLUSH_MS of a debugging aid, never session data (the session store's job).
 */
const FLUSH_MS = 20;
const FLUSH_BATCH = 64;
/** serials reserved at a time (four times those used since the last block, within bounds) */
const BLOCK_MIN = 64;
const BLOCK_MAX = 4096;
/** how long a reserved block is used */
const BLOCK_FRESH_MS = 1000;
/** retry back-off while the journal cannot be written */
const RETRY_FIRST_MS = 10;
const RETRY_MAX_MS = 1000;
/** entries (and bytes) kept in memory while the journal cannot be written */
const MAX_QUEUED = 2000;
const MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/**
 * Trimming (over JournalSize entries or JournalMaxBytes) goes down to this share of the cap,
 * so that a full journal is trimmed now and then, not on every write.
 */
const TRIM_TO = 0.95;
/**
 * Writers of one journal take turns: a lock held by another process for less than this is
 * contention, not a failure, and is not reported.
 */
const REPORT_BUSY_AFTER_MS = 1000;
/** At close only: how long the last write waits for another writer's lock. */
const CLOSE_BUSY_TIMEOUT_MS = 5000;

/** Why the journal cannot be written, in words. */
function reason(err: unknown): string {
  if (isBusy(err)) return 'another process holds its write lock (SQLITE_BUSY)';
  if (isFull(err)) return 'the disk is full (SQLITE_FULL)';
  return err instanceof Error ? err.message : String(err);
}

export class JournalWriter {
  /** the next serial to hand out; those from reservedEnd on are not reserved yet */
  private next = 1;
  private reservedEnd = 1;
  private blockAt = -Infinity;
  /** serials handed out since the last block was reserved (sizes the next one) */
  private used = 0;
  /** the last provisional serial handed out (they count down from -1) */
  private provisional = 0;
  /** provisional serial → the serial its entry was written under */
  private readonly aliases = new SerialAliases();
  private queue: Queued[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  /** set while writing fails: since when, the next wait, entries dropped, whether reported */
  private failing: { since: number; retryMs: number; dropped: number; reported: boolean } | null =
    null;
  private readonly q;

  constructor(
    private readonly db: Database.Database,
    private readonly o: WriterOptions,
  ) {
    this.q = {
      counter: db.prepare<[], { next: number; count: number; bytes: number }>(
        'SELECT next, count, bytes FROM serials WHERE id = 1',
      ),
      setCounter: db.prepare<[number, number, number]>(
        'UPDATE serials SET next = ?, count = ?, bytes = ? WHERE id = 1',
      ),
      setNext: db.prepare<[number]>('UPDATE serials SET next = ? WHERE id = 1'),
      giveBack: db.prepare<[number, number]>(
        'UPDATE serials SET next = ? WHERE id = 1 AND next = ?',
      ),
      insert: db.prepare(
        `INSERT INTO entries (serial, time, session, sid, outcome, path, entry, bytes)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (serial) DO NOTHING`,
      ),
      insertPickle: db.prepare(
        'INSERT OR REPLACE INTO pickles (serial, name, phase, pickle) VALUES (?, ?, ?, ?)',
      ),
      // counted from the oldest end: a trim goes past a few hundred rows, not the whole journal
      cutByCount: db.prepare<[number], { serial: number }>(
        'SELECT serial FROM entries ORDER BY serial LIMIT 1 OFFSET ?',
      ),
      // the oldest entries whose bytes add up to what must go (SQLite stops summing there)
      cutByBytes: db.prepare<[number], { serial: number }>(
        `SELECT serial FROM (SELECT serial, sum(bytes) OVER (ORDER BY serial) AS total FROM entries)
         WHERE total >= ? LIMIT 1`,
      ),
      trim: db.prepare<[number]>('DELETE FROM entries WHERE serial <= ?'),
      trimPickles: db.prepare<[number]>('DELETE FROM pickles WHERE serial <= ?'),
      cutTotals: db.prepare<[number], { count: number; bytes: number }>(
        'SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM entries WHERE serial <= ?',
      ),
    };
  }

  /** A serial for a request that starts now; never waits, never fails. */
  takeSerial(): number {
    if (this.next >= this.reservedEnd || performance.now() - this.blockAt > BLOCK_FRESH_MS) {
      try {
        this.db.transaction(() => this.reserve(this.q.counter.get()!.next)).immediate()();
      } catch {
        // locked or full: the rest of the block, else a provisional serial
      }
    }
    this.used++;
    return this.next < this.reservedEnd ? this.next++ : --this.provisional;
  }

  /** The serial an entry was written under, for one handed out provisionally. */
  resolve(serial: number): number {
    return serial < 0 ? this.aliases.resolve(serial) : serial;
  }

  /**
   * Inside a write transaction, with the counter's `next` as read in it: a new block, to apply
   * once the transaction has committed. When nobody reserved since our block, its serials are
   * still the newest: it only grows to the size wanted. Else the new block starts past
   * everything reserved, and the rest of ours is left unused.
   */
  private reserve(counterNext: number): () => void {
    const size = Math.min(BLOCK_MAX, Math.max(BLOCK_MIN, 4 * this.used));
    const contiguous = counterNext === this.reservedEnd;
    const start = contiguous ? this.next : counterNext;
    const end = contiguous ? Math.max(this.reservedEnd, start + size) : start + size;
    if (end !== counterNext) this.q.setNext.run(end);
    return () => {
      this.next = start;
      this.reservedEnd = end;
      this.blockAt = performance.now();
      this.used = 0;
    };
  }

  enqueue(q: Queued): void {
    this.queue.push(q);
    this.queuedBytes += q.pickleBytes;
    if (this.failing) {
      this.dropOverflow();
      return; // the retry timer writes it
    }
    if (this.queue.length >= FLUSH_BATCH) this.flush();
    else this.schedule(FLUSH_MS);
  }

  /** Writes what is queued now; false (and retried later) when the journal cannot be written. */
  flush(): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.queue.length === 0 || !this.db.open) return true;
    const batch = this.queue;
    let done: { reserved: (() => void) | null; aliases: [number, number][] };
    try {
      done = this.db.transaction(() => this.writeBatch(batch)).immediate();
    } catch (err) {
      this.failed(err);
      return false;
    }
    this.aliases.add(done.aliases);
    done.reserved?.();
    this.queue = [];
    this.queuedBytes = 0;
    this.o.wrote?.();
    if (this.failing) {
      const { dropped, reported } = this.failing;
      this.failing = null;
      if (reported)
        this.o.log(
          `journal ${this.o.file}: written again${dropped ? `; ${dropped} entries were dropped while it could not be (more than ${MAX_QUEUED} waited)` : ''}`,
        );
    }
    return true;
  }

  /** One batch, inside the write transaction. */
  private writeBatch(batch: Queued[]): {
    reserved: (() => void) | null;
    aliases: [number, number][];
  } {
    const q = this.q;
    const c = q.counter.get()!;
    let next = c.next;
    let count = c.count;
    let bytes = c.bytes;
    const aliases: [number, number][] = [];
    for (const { entry, json: body, pickles, pickleBytes } of batch) {
      let serial = entry.serial;
      // a provisional serial becomes the next one free
      if (serial < 0) aliases.push([entry.serial, (serial = next++)]);
      let json = entryRow(body, serial);
      const size = json.length + pickleBytes;
      const session = entry.sessionId;
      const sid = typeof session === 'string' ? sessionKey(session) : null;
      while (
        q.insert.run(serial, entry.time, session, sid, entry.outcome, entry.path, json, size)
          .changes === 0
      ) {
        // taken all the same (written by a process that did not reserve it): the next free one
        serial = next++;
        json = entryRow(body, serial);
      }
      for (const p of pickles) q.insertPickle.run(serial, p.name, p.phase, p.pickle);
      count++;
      bytes += size;
    }
    if (count > this.o.size || (this.o.maxBytes > 0 && bytes > this.o.maxBytes)) {
      const cut = this.trim(count, bytes);
      count -= cut.count;
      bytes -= cut.bytes;
    }
    q.setCounter.run(next, count, bytes);
    // a block about to run out or go stale is renewed in the same transaction
    const low =
      this.reservedEnd - this.next < Math.max(BLOCK_MIN, 2 * this.used) ||
      performance.now() - this.blockAt > BLOCK_FRESH_MS / 2;
    return { reserved: low ? this.reserve(next) : null, aliases };
  }

  /**
   * Deletes the oldest entries down to TRIM_TO of each cap; returns what it deleted. `count` and
   * `bytes` are the journal's entries and size now (the counter, kept in the same transactions
   * as the rows), so both cuts are counted from the oldest end and read only the rows that go:
   * the cut by count is the newest of the `count - keep` oldest entries, the cut by bytes the
   * newest of the oldest entries that hold `bytes - target` bytes. (Counted from the newest end,
   * each trim read the whole journal: 2× the CPU per request at JournalSize 50,000.)
   */
  private trim(count: number, bytes: number): { count: number; bytes: number } {
    const keep = Math.max(1, this.o.size - Math.floor(this.o.size * (1 - TRIM_TO)));
    const cuts: number[] = [];
    if (count > keep) {
      const byCount = this.q.cutByCount.get(count - keep - 1)?.serial;
      if (byCount !== undefined) cuts.push(byCount);
    }
    const bytesTarget = Math.floor(this.o.maxBytes * TRIM_TO);
    if (this.o.maxBytes > 0 && bytes > bytesTarget) {
      const byBytes = this.q.cutByBytes.get(bytes - bytesTarget)?.serial;
      if (byBytes !== undefined) cuts.push(byBytes);
    }
    if (cuts.length === 0) return { count: 0, bytes: 0 };
    const cut = Math.max(...cuts);
    const gone = this.q.cutTotals.get(cut)!;
    this.q.trim.run(cut);
    this.q.trimPickles.run(cut);
    return gone;
  }

  /**
   * A batch could not be written: it stays queued and is retried. The failure is reported once
   * (a lock only once it has lasted REPORT_BUSY_AFTER_MS).
   */
  private failed(err: unknown): void {
    const now = performance.now();
    if (!this.failing) {
      this.failing = { since: now, retryMs: RETRY_FIRST_MS, dropped: 0, reported: false };
    } else {
      this.failing.retryMs = Math.min(this.failing.retryMs * 2, RETRY_MAX_MS);
    }
    if (
      !this.failing.reported &&
      (!isBusy(err) || now - this.failing.since >= REPORT_BUSY_AFTER_MS)
    ) {
      this.failing.reported = true;
      this.o.log(
        `journal ${this.o.file}: cannot be written: ${reason(err)}. Requests are served as usual; their entries wait in memory and are written when it can be (retrying)`,
      );
    }
    this.dropOverflow();
    this.schedule(this.failing.retryMs);
  }

  /** While failing, the queue stays within MAX_QUEUED entries and MAX_QUEUED_BYTES. */
  private dropOverflow(): void {
    while (
      this.queue.length > 1 &&
      (this.queue.length > MAX_QUEUED || this.queuedBytes > MAX_QUEUED_BYTES)
    ) {
      const gone = this.queue.shift()!;
      this.queuedBytes -= gone.pickleBytes;
      if (this.failing) this.failing.dropped++;
    }
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, ms);
    // a pending batch never keeps the process alive; close() writes it
    this.timer.unref();
  }

  /** Forgets every entry (Studio's "clear the log"); serials keep counting up. */
  clear(): void {
    this.queue = [];
    this.queuedBytes = 0;
    this.db
      .transaction(() => {
        this.db.exec('DELETE FROM entries; DELETE FROM pickles;');
        this.db.prepare('UPDATE serials SET count = 0, bytes = 0 WHERE id = 1').run();
      })
      .immediate();
  }

  /**
   * A last write (waiting a moment for another writer's lock: the process is stopping, no
   * request waits); what cannot be written is reported. Unused serials go back if still last.
   */
  close(): void {
    if (this.db.open) this.db.pragma(`busy_timeout = ${CLOSE_BUSY_TIMEOUT_MS}`);
    if (!this.flush()) {
      this.o.log(
        `journal ${this.o.file}: ${this.queue.length} entries could not be written before closing`,
      );
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      if (this.next < this.reservedEnd) this.q.giveBack.run(this.next, this.reservedEnd);
    } catch {
      // locked or full: the serials stay unused, a gap and nothing else
    }
  }
}
