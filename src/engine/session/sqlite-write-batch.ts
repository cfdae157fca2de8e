/**
 * Group commit for the SQLite session store. A WAL transaction writes every page it changed
 * and a commit frame, whatever the change's size: a new session alone rewrites a few 4 KiB
 * pages of the sessions and namespaces b-trees, and the transaction's own bookkeeping was most
 * of Node's time on the write path. The writes asked for within one turn of the event loop
 * (the replies of one batch of workers' frames) run in one IMMEDIATE transaction instead: one
 * that fails (a version conflict) is rolled back alone and rejected, the others commit together
 * (`runBatch` says how). Every promise settles only after the transaction has
 * committed, so an answered request's changes are in the WAL as before, and writes run in the
 * order they were asked for.
 */
import type Database from 'better-sqlite3';
import { isBusy } from '../sqlite.js';
import { retryBusy, storeError } from './sqlite-retry.js';

interface Pending {
  run: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; err: unknown };

/** Writes in one transaction at most; a longer queue is split (bounded time per turn). */
const MAX_BATCH = 256;
/**
 * A smaller batch waits up to this many more turns of the event loop for company: under load
 * each turn brings more workers' replies, and a transaction's cost is mostly fixed (measured
 * on new sessions: 119 µs of CPU per write alone, 75 in fours, 61 in eights, 52 in 32s). An
 * idle loop runs the turns back to back, so a lone write waits microseconds.
 */
const GATHER_TURNS = 2;
const GATHER_SIZE = 16;

export class SqliteWriteBatch {
  private queue: Pending[] = [];
  private scheduled = false;
  private flushing: Promise<void> | null = null;
  private waited = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly busyWaitMs: number,
    /** after each transaction committed */
    private readonly committed?: () => void,
  ) {}

  /** `run` inside the next group transaction; settles once that transaction is committed. */
  write<T>(run: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled && !this.flushing) {
        this.scheduled = true;
        this.waited = 0;
        setImmediate(this.turn);
      }
    });
  }

  /** Every write asked for so far, committed (or failed); for close(). */
  async drain(): Promise<void> {
    while (this.queue.length || this.flushing) await (this.flushing ?? this.flush());
  }

  private readonly turn = (): void => {
    if (!this.scheduled) return; // drained meanwhile
    if (this.queue.length < GATHER_SIZE && this.waited++ < GATHER_TURNS) setImmediate(this.turn);
    else void this.flush();
  };

  private flush(): Promise<void> {
    this.scheduled = false;
    this.flushing ??= this.flushAll().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushAll(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let outcomes: Outcome[];
      try {
        outcomes = await retryBusy(this.file, this.busyWaitMs, () => this.runBatch(batch));
      } catch (err) {
        // The transaction itself failed (a lock held too long, a full disk): nothing of the
        // batch is written, and every write of it says so.
        for (const p of batch) p.reject(err);
        continue;
      }
      this.committed?.();
      for (let i = 0; i < batch.length; i++) {
        const o = outcomes[i]!;
        if (o.ok) batch[i]!.resolve(o.value);
        else batch[i]!.reject(o.err);
      }
    }
  }

  /**
   * One IMMEDIATE transaction. Nearly every batch fails nowhere, so it first runs its writes
   * without savepoints: a savepoint copies each page a write changes into a statement journal
   * (a temporary file), which cost more than the writes themselves in batches of 16 new
   * sessions. A batch in which a write throws is rolled back whole and run again with each
   * write in its own savepoint, so that only the failing one is left out. The writes are
   * statements on this database and their results, so running one twice does the same.
   */
  private runBatch(batch: Pending[]): Outcome[] {
    try {
      return this.db
        .transaction((): Outcome[] => {
          const outcomes: Outcome[] = [];
          for (const p of batch) outcomes.push({ ok: true, value: p.run() });
          return outcomes;
        })
        .immediate();
    } catch (err) {
      if (isBusy(err)) throw err;
    }
    return this.runEachInSavepoint(batch);
  }

  private runEachInSavepoint(batch: Pending[]): Outcome[] {
    const outcomes: Outcome[] = [];
    this.db
      .transaction(() => {
        outcomes.length = 0;
        for (const p of batch) {
          try {
            // a nested better-sqlite3 transaction is a savepoint, rolled back when it throws
            outcomes.push({ ok: true, value: this.db.transaction(p.run)() });
          } catch (err) {
            // busy cannot happen under the write lock; should it, the whole batch is retried
            if (isBusy(err)) throw err;
            outcomes.push({ ok: false, err: storeError(this.file, err) });
          }
        }
      })
      .immediate();
    return outcomes;
  }
}
