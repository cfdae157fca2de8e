/**
 * Checkpoints of a WAL database on a thread of their own. A checkpoint copies the WAL into the
 * database file and, with `synchronous = NORMAL`, waits for the disk (fsync); made by the
 * connection whose commit crossed `wal_autocheckpoint`, it stalled the event loop for every
 * request in flight (the request journal: ~8 µs per journaled request, nearly all of it
 * waiting for fsync). Here a second connection, on a worker thread, checkpoints a moment after
 * the writer says it wrote, and the writer's own automatic checkpoint is only a backstop
 * (BACKSTOP_BYTES of WAL) should that thread fall behind or fail. The thread costs ~9 MB of memory
 * (V8's own, for a second isolate); a production server, without a journal, has none. It starts
 * at the first write, not with the database: starting it costs ~30 ms of CPU, which a server's
 * start (its workers booting on the same cores) need not wait behind.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { databaseOptions } from './sqlite.js';

/** How large the WAL may grow before the writer checkpoints it itself while a checkpointer runs. */
export const BACKSTOP_BYTES = 64 * 1024 * 1024;

/** The writer connection's `wal_autocheckpoint` (in pages) for BACKSTOP_BYTES. */
export function backstopPages(pageSize: number): number {
  return Math.ceil(BACKSTOP_BYTES / pageSize);
}

/** At most one checkpoint this often. */
const EVERY_MS = 250;

/** The thread: a connection that checkpoints (PASSIVE: never waits for a writer or reader). */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, workerData.options);
db.pragma('busy_timeout = 0');
parentPort.on('message', (m) => {
  if (m === 'close') {
    db.close();
    parentPort.close();
    return;
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // busy (another process checkpoints) or failing: the next call, or the backstop, does it
  }
});
`;

export class WalCheckpointer {
  private worker: Worker | null = null;
  private last = -Infinity;
  private closed = false;

  /** For `file`, a WAL database that exists; the thread starts at the first `wrote()`. */
  constructor(private readonly file: string) {}

  /** The writer committed: a checkpoint soon (at most one per EVERY_MS). */
  wrote(): void {
    if (this.closed) return;
    const now = performance.now();
    if (now - this.last < EVERY_MS) return;
    this.last = now;
    (this.worker ??= this.start()).postMessage(0);
  }

  private start(): Worker {
    const worker = new Worker(SOURCE, {
      eval: true,
      workerData: {
        file: this.file,
        sqlite: createRequire(import.meta.url).resolve('better-sqlite3'),
        options: databaseOptions(),
      },
    });
    // never keeps the process alive; a thread that fails leaves the backstop to checkpoint
    worker.unref();
    worker.on('error', () => {
      this.closed = true;
    });
    return worker;
  }

  /** Stops the thread once its checkpoint in progress, if any, has ended. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    if (!worker) return;
    // The caller awaits the exit: the thread keeps the process alive until then (unref'd, a
    // process with nothing else to do ended before `close` resolved, its await unsettled).
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    await exited;
  }
}
