/**
 * Whether an exclusive SQLite store was closed in order, and left alone since. Its start reads
 * every page of the file to find damage (`PRAGMA quick_check`, ~2.5 ms per MB here: 255 ms for
 * 250,000 sessions, seconds for a store of gigabytes), which is what a restart of a production
 * server waits for. After an orderly close that no one has touched since, there is nothing
 * for it to find that SQLite's own guarantees do not already cover, so it is left out, as a
 * file system skips its check when it was unmounted clean.
 *
 * The close leaves a note beside the file (`FILE.closed`): the file's identity as the close
 * left it (inode, size, ctime, which no one can set back). The next start trusts the file only
 * if the note matches it and no WAL is left; any write, copy, restore or crash in between
 * fails one of the three. The start removes the note once it holds the file's lock, so that
 * a server that then dies is checked at its next start.
 */
import fs from 'node:fs';
import { PRIVATE_FILE_MODE } from '../private-files.js';

interface Note {
  ino: string;
  size: string;
  ctimeNs: string;
}

const noteOf = (file: string): string => `${file}.closed`;

function identity(file: string): Note | null {
  try {
    const st = fs.statSync(file, { bigint: true });
    return { ino: String(st.ino), size: String(st.size), ctimeNs: String(st.ctimeNs) };
  } catch {
    return null;
  }
}

/** A non-empty WAL is work a close did not finish (or a writer not closed at all). */
function walLeft(file: string): boolean {
  try {
    return fs.statSync(`${file}-wal`).size > 0;
  } catch {
    return false;
  }
}

/** True when `file` is as its last orderly close left it (read before the file is opened). */
export function closedInOrder(file: string): boolean {
  let note: Partial<Note>;
  try {
    note = JSON.parse(fs.readFileSync(noteOf(file), 'utf8')) as Partial<Note>;
  } catch {
    return false;
  }
  const now = identity(file);
  return (
    now !== null &&
    !walLeft(file) &&
    note.ino === now.ino &&
    note.size === now.size &&
    note.ctimeNs === now.ctimeNs
  );
}

/**
 * The file is open and locked by this process: the note no longer holds. False when it could
 * not be removed (the caller then checks the file as if it had not been closed in order).
 */
export function forgetClose(file: string): boolean {
  try {
    fs.rmSync(noteOf(file), { force: true });
    return true;
  } catch {
    return false;
  }
}

/** After an orderly close (the WAL checkpointed away): notes the file as it is now. */
export function noteClose(file: string): void {
  const now = identity(file);
  if (!now || walLeft(file)) return;
  try {
    fs.writeFileSync(noteOf(file), JSON.stringify(now), { mode: PRIVATE_FILE_MODE });
  } catch {
    // Without the note the next start checks the file: slower, never wrong.
  }
}
