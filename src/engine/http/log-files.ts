/** Append-only log files under the app's `.pse/`: access.log (one line per request) and error.log. */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';

export class LogFiles {
  private readonly access: WriteStream;
  private readonly error: WriteStream;

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
    this.access.write(line + '\n');
  }

  writeError(line: string): void {
    this.error.write(line + '\n');
  }

  close(): Promise<void> {
    const end = (s: WriteStream): Promise<void> => new Promise((resolve) => s.end(resolve));
    return Promise.all([end(this.access), end(this.error)]).then(() => undefined);
  }
}
