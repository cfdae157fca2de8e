/**
 * Background fsync of a WAL file while it grows. With `synchronous = NORMAL` a commit does not
 * sync the WAL; the checkpoint does, first the WAL, then the database file, on the connection
 * whose commit crossed `wal_autocheckpoint`, and so on the event loop. Under a steady stream of
 * writes the WAL holds tens of megabytes that the page cache has not written yet, and that
 * first fsync waited for all of them: ~50 ms of stalled event loop per checkpoint, measured
 * with new sessions (strace: WAL 52 ms, database 7 ms), which was every request's p99.
 *
 * Here the WAL is synced on libuv's thread pool a moment after each write, so that when the
 * checkpoint syncs it there is next to nothing left to write. An extra fsync never weakens
 * what SQLite guarantees; it only moves the wait off the event loop. The database file's own
 * fsync stays in the checkpoint: its pages are written there.
 */
import fs from 'node:fs';

/** At most one sync started this often: each then writes ~100 ms of the WAL's growth. */
const EVERY_MS = 100;

export class WalSync {
  /** the WAL's descriptor, opened at the first sync */
  private fd: number | undefined;
  private syncing: Promise<void> | null = null;
  private last = -Infinity;
  private closed = false;

  /** For the WAL database `file` (its `-wal` file exists while the database is open). */
  constructor(private readonly file: string) {}

  /** A write was committed: a sync soon, if none ran lately. Never waits, never fails. */
  wrote(): void {
    if (this.closed || this.syncing) return;
    const now = performance.now();
    if (now - this.last < EVERY_MS) return;
    this.last = now;
    if (this.fd === undefined) {
      try {
        // Read-only is enough: fsync writes a file's dirty pages whichever descriptor asks.
        this.fd = fs.openSync(`${this.file}-wal`, 'r');
      } catch {
        // no WAL file (not a WAL database): no syncing, ever
        this.closed = true;
        return;
      }
    }
    const fd = this.fd;
    this.syncing = new Promise<void>((resolve) => {
      // A failing fsync is not ours to report: the checkpoint's own fsync meets the same disk
      // and fails the write that triggers it, as it did without this.
      fs.fsync(fd, () => resolve());
    }).then(() => {
      this.syncing = null;
    });
  }

  /** Waits for a sync in progress and closes the descriptor. */
  async close(): Promise<void> {
    this.closed = true;
    await this.syncing;
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
