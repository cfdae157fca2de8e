/** Append-only log files under the app's `.pse/`: access.log (one line per request) and error.log. */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { PRIVATE_FILE_MODE, privateDir, privateFile } from '../private-files.js';

/**
 * Access lines are buffered and written every ACCESS_FLUSH_MS (or once the buffer is full): a
 * file write per request costs a thread-pool round trip each. Error lines go out at once.
 * Every ACCESS_BATCH_LINES lines are encoded into a Buffer: a string of thousands of lines kept
 * for 200 ms is a rope of tens of thousands of young objects that each scavenge copies and the
 * file write must flatten (~1.5 % of the server's CPU on the hello page); a few lines are
 * flattened while still fresh, by one call.
 */
const ACCESS_FLUSH_MS = 200;
const ACCESS_BATCH_LINES = 32;
const ACCESS_BUFFER_BYTES = 64 * 1024;
/** a UTF-16 unit takes at most 3 bytes of UTF-8 */
const MAX_UTF8_PER_UNIT = 3;

export class LogFiles {
  private readonly access: WriteStream;
  private readonly error: WriteStream;
  /** the latest lines, not yet encoded */
  private lines = '';
  private lineCount = 0;
  private buf: Buffer = Buffer.allocUnsafe(ACCESS_BUFFER_BYTES);
  private bytes = 0;
  /** a buffer the file stream has finished with, reused for the next lines (no fresh memory) */
  private spare: Buffer | null = null;
  private accessTimer: NodeJS.Timeout | null = null;

  constructor(readonly dir: string) {
    privateDir(dir);
    const open = (name: string): WriteStream => {
      const file = path.join(dir, name);
      privateFile(file);
      const s = createWriteStream(file, { flags: 'a', mode: PRIVATE_FILE_MODE });
      // A full disk must not take the server down; the lines still go out as events.
      s.on('error', () => undefined);
      return s;
    };
    this.access = open('access.log');
    this.error = open('error.log');
  }

  writeAccess(line: string): void {
    this.lines += line + '\n';
    if (++this.lineCount >= ACCESS_BATCH_LINES) this.encodeLines();
    if (!this.accessTimer) {
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
    this.encodeLines();
    this.writeBuffer();
  }

  private encodeLines(): void {
    const text = this.lines;
    if (text === '') return;
    this.lines = '';
    this.lineCount = 0;
    const most = text.length * MAX_UTF8_PER_UNIT;
    if (this.bytes + most > this.buf.length) this.writeBuffer();
    if (most > this.buf.length)
      this.access.write(text); // longer than the whole buffer
    else this.bytes += this.buf.write(text, this.bytes);
  }

  private writeBuffer(): void {
    if (this.bytes === 0) return;
    const full = this.buf;
    const bytes = this.bytes;
    this.buf = this.spare ?? Buffer.allocUnsafe(ACCESS_BUFFER_BYTES);
    this.spare = null;
    this.bytes = 0;
    this.access.write(full.subarray(0, bytes), () => (this.spare ??= full));
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
