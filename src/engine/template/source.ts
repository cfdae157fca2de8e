/**
 * Positions in a template: offsets to 1-based line and column, and source excerpts for errors.
 * Lines end at `\n`, `\r\n` or a lone `\r` (as in editors); columns count UTF-16 code units,
 * the unit Monaco and JavaScript use.
 */

export interface Pos {
  offset: number;
  line: number;
  col: number;
}

/**
 * The line starts of the last index given back (`LineIndex.release`), for the next one: a
 * large template's starts are a large array, and fresh memory costs a page fault per 4 KB.
 */
let spareStarts: Int32Array | undefined;

function doubled(a: Int32Array): Int32Array {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

export class LineIndex {
  /** offset where each line starts; starts[0] = 0; only the first `lineCount` count */
  private starts: Int32Array;
  readonly lineCount: number;

  constructor(readonly text: string) {
    let starts = spareStarts ?? new Int32Array(1024);
    spareStarts = undefined;
    let count = 1;
    starts[0] = 0;
    for (let i = text.indexOf('\n'), cr = text.indexOf('\r'); ; ) {
      // Walk the two kinds of line break in order without a per-character loop.
      if (i < 0 && cr < 0) break;
      let next: number;
      if (cr >= 0 && (i < 0 || cr < i)) {
        if (text.charCodeAt(cr + 1) === 10) {
          next = cr + 2;
          i = text.indexOf('\n', cr + 2);
          cr = text.indexOf('\r', cr + 2);
        } else {
          next = cr + 1;
          cr = text.indexOf('\r', cr + 1);
        }
      } else {
        next = i + 1;
        i = text.indexOf('\n', i + 1);
      }
      if (count === starts.length) starts = doubled(starts);
      starts[count++] = next;
    }
    this.starts = starts;
    this.lineCount = count;
  }

  /**
   * Gives the storage to the next index (the compiler does, when a compile is over): this
   * index must not be used after.
   */
  release(): void {
    if (spareStarts === undefined || spareStarts.length < this.starts.length)
      spareStarts = this.starts;
    this.starts = new Int32Array(1);
  }

  /** The line found last: lexing asks in increasing order, so most lookups take a step or two. */
  private cursor = 0;

  /** 1-based line of an offset. */
  lineOf(offset: number): number {
    const s = this.starts;
    const n = this.lineCount;
    let c = this.cursor;
    if (s[c]! <= offset) {
      for (let k = 0; k < 4; k++) {
        if (c + 1 >= n || s[c + 1]! > offset) {
          this.cursor = c;
          return c + 1;
        }
        c++;
      }
    }
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (s[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    this.cursor = lo;
    return lo + 1;
  }

  pos(offset: number): Pos {
    const line = this.lineOf(offset);
    return { offset, line, col: offset - this.starts[line - 1]! + 1 };
  }

  /** 1-based column of `offset`, which stands on `line` (from `lineOf`): no object made. */
  colOf(offset: number, line: number): number {
    return offset - this.starts[line - 1]! + 1;
  }

  lineStart(line: number): number {
    return this.starts[Math.min(Math.max(line, 1), this.lineCount) - 1]!;
  }

  /** The text of a line without its line break. */
  lineText(line: number): string {
    if (line < 1 || line > this.lineCount) return '';
    const start = this.starts[line - 1]!;
    let end = line < this.lineCount ? this.starts[line]! : this.text.length;
    while (
      end > start &&
      (this.text.charCodeAt(end - 1) === 10 || this.text.charCodeAt(end - 1) === 13)
    )
      end--;
    return this.text.slice(start, end);
  }
}

const EXCERPT_HALF = 80;

/**
 * The offending line and a caret under `col`. Tabs before the column are kept in the caret line
 * so that the caret lines up in a terminal. Only a window around the column is read, so that
 * many errors on one huge line cost no more than the line itself.
 */
export function excerpt(lines: LineIndex, line: number, col: number): string {
  if (line < 1 || line > lines.lineCount) return '';
  const text = lines.text;
  const start = lines.lineStart(line);
  let end = line < lines.lineCount ? lines.lineStart(line + 1) : text.length;
  while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
  const at = Math.min(start + Math.max(col, 1) - 1, end);
  const from = Math.max(start, at - EXCERPT_HALF);
  const to = Math.min(end, at + EXCERPT_HALF);
  const head = from > start ? '…' : '';
  const shown = head + text.slice(from, to) + (to < end ? '…' : '');
  const pad = (head + text.slice(from, at)).replace(/[^\t]/g, ' ');
  return `${shown}\n${pad}^`;
}

/** Visual width of a run of indentation, tabs to the next multiple of 8 (Python's rule). */
export function indentWidth(ws: string, startCol = 0): number {
  let w = startCol;
  for (let i = 0; i < ws.length; i++) {
    w = ws.charCodeAt(i) === 9 ? (Math.floor(w / 8) + 1) * 8 : w + 1;
  }
  return w - startCol;
}
