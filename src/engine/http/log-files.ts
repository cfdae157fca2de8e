/** Append-only log files under the app's `.pse/`: access.log (one line per request) and error.log. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

/**
 * Access lines are buffered and written every ACCESS_FLUSH_MS (or once 64 KiB are waiting): a
 * file write per request costs a thread-pool round trip each. Error lines go out at once.
 */
const ACCESS_FLUSH_MS = 200;
const ACCESS_FLUSH_CHARS = 64 * 1024;

export class LogFiles {
  private readonly access: WriteStream;
  private readonly error: WriteStream;
  private accessBuf = '';
  private accessTimer: NodeJS.Timeout | null = null;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    const open = (name: string): WriteStream => {
      const s = createWriteStream(path.join(dir, name), { flags: 'a' });
      // A full disk must not take the server down; the lines still go out as events.
      s.on('error', () => undefined);
      return s;
    };
    this.access = open('access.log');
    this.error = open('error.log');
  }

  writeAccess(line: string): void {
    this.accessBuf += line + '\n';
    if (this.accessBuf.length >= ACCESS_FLUSH_CHARS) this.flushAccess();
    else if (!this.accessTimer) {
      this.accessTimer = setTimeout(() => this.flushAccess(), ACCESS_FLUSH_MS);
      this.accessTimer.unref();
    }
  }

  /** Hands the buffered access lines to the file stream (one write for many requests). */
  flushAccess(): void {
    if (this.accessTimer) {
      clearTimeout(this.accessTimer);
      this.accessTimer = null;
    }
    if (this.accessBuf === '') return;
    const text = this.accessBuf;
    this.accessBuf = '';
    this.access.write(text);
  }

  writeError(line: string): void {
    this.error.write(line + '\n');
  }

  close(): Promise<void> {
    this.flushAccess();
    const end = (s: WriteStream): Promise<void> => new Promise((resolve) => s.end(resolve));
    return Promise.all([end(this.access), end(this.error)]).then(() => undefined);
  }
}
