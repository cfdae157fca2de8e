/**
 * Just enough of Python's tokenizer to find where a `<? … ?>` ends and to re-indent its lines:
 * strings (so `?>` inside a string does not end the PI), comments, brackets, backslash
 * continuations and triple-quoted strings spanning lines (whose lines must not be re-indented).
 */
import { indentWidth } from './source.js';

/** How a physical line of a PI relates to Python's logical lines. */
export type LineKind =
  /** starts a logical line: its indentation matters and is re-indented */
  | 'logical'
  /** inside brackets or after a backslash: indentation does not matter */
  | 'cont'
  /** starts inside a triple-quoted string: written verbatim, never re-indented */
  | 'string';

export interface PyScan {
  /** offset of the `?>` that ends the code, or -1 when there is none */
  end: number;
  /** when end is -1 because a triple-quoted string never closes: offset of its opening quote */
  openString: number;
  /** how many physical lines the code has: the valid length of `lineStarts` and `kinds` */
  lines: number;
  /**
   * absolute offsets where each physical line of the code starts (the first is `start`); the
   * arrays are reused from scan to scan, so only the first `lines` elements count
   */
  lineStarts: number[];
  kinds: LineKind[];
  /** offset of the first / last character that is not space, comment or line break; -1 if none */
  first: number;
  last: number;
  /** offset of the first significant character of the last logical line */
  lastLogical: number;
  hasComment: boolean;
  /** offset of a NUL character (Python refuses them in source), or -1 */
  nul: number;
}

const Q1 = 39; // '
const Q2 = 34; // "
const HASH = 35;
const BSL = 92;
const LF = 10;
const CR = 13;
const QM = 63; // ?
const GT = 62;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 12;
}

/** An empty scan result, to be filled (and refilled) by `scanPython`. */
export function newScan(): PyScan {
  return {
    end: -1,
    openString: -1,
    lines: 0,
    lineStarts: [],
    kinds: [],
    first: -1,
    last: -1,
    lastLogical: -1,
    hasComment: false,
    nul: -1,
  };
}

/** Fills `out` (its arrays were filled in place) and returns it. */
function result(
  out: PyScan,
  end: number,
  openString: number,
  lines: number,
  first: number,
  last: number,
  lastLogical: number,
  hasComment: boolean,
  nul: number,
): PyScan {
  out.end = end;
  out.openString = openString;
  out.lines = lines;
  out.first = first;
  out.last = last;
  out.lastLogical = lastLogical;
  out.hasComment = hasComment;
  out.nul = nul;
  return out;
}

/**
 * Scans Python code from `start` to the first `?>` outside strings, or to `limit`. With
 * `stopAtPI` false (attribute expressions, which end at their quote) `?>` is not special.
 * The result is written into `out` (a fresh one by default), whose arrays are reused.
 */
export function scanPython(
  src: string,
  start: number,
  limit = src.length,
  stopAtPI = true,
  out: PyScan = newScan(),
): PyScan {
  const n = limit;
  // Written by index, never truncated: `length = 0` would free the arrays' storage, and the
  // next push allocate it again, for every PI.
  const lineStarts = out.lineStarts;
  const kinds = out.kinds;
  lineStarts[0] = start;
  kinds[0] = 'logical';
  let count = 1;
  let first = -1;
  let last = -1;
  let lastLogical = -1;
  let hasComment = false;
  let nul = -1;
  let depth = 0;
  let continued = false; // a backslash ended the previous line
  let atLogicalStart = true;

  let i = start;
  while (i < n) {
    const c = src.charCodeAt(i);
    if (c === QM && stopAtPI && src.charCodeAt(i + 1) === GT) {
      return result(out, i, -1, count, first, last, lastLogical, hasComment, nul);
    }
    if (c === LF || c === CR) {
      const next = c === CR && src.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
      const cont = depth > 0 || continued;
      lineStarts[count] = next;
      kinds[count++] = cont ? 'cont' : 'logical';
      if (!cont) atLogicalStart = true;
      continued = false;
      i = next;
      continue;
    }
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 0) nul = nul < 0 ? i : nul;
    continued = false;
    if (c === HASH) {
      hasComment = true;
      // A comment ends at the line break, or at `?>` (which ends the PI, as in PHP).
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === LF || d === CR || (d === QM && stopAtPI && src.charCodeAt(i + 1) === GT)) break;
        if (d === 0 && nul < 0) nul = i;
        i++;
      }
      continue;
    }
    if (c === BSL) {
      const d = src.charCodeAt(i + 1);
      if (d === LF || d === CR) {
        continued = true;
        i++;
        continue;
      }
    }
    // Every significant character (a backslash not ending a line is one): remember the first,
    // the last, and where logical lines start.
    if (first < 0) first = i;
    if (atLogicalStart) {
      lastLogical = i;
      atLogicalStart = false;
    }
    last = i;
    if (c === BSL) {
      i++;
      continue;
    }
    if (c === Q1 || c === Q2) {
      const triple = src.charCodeAt(i + 1) === c && src.charCodeAt(i + 2) === c;
      if (triple) {
        const open = i;
        i += 3;
        let closed = false;
        while (i < n) {
          const d = src.charCodeAt(i);
          if (d === BSL) {
            // An escaped line break is still a line break: let the branch below record it.
            const e = src.charCodeAt(i + 1);
            i += e === LF || e === CR ? 1 : 2;
            continue;
          }
          if (d === LF || d === CR) {
            const next = d === CR && src.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
            lineStarts[count] = next;
            kinds[count++] = 'string';
            i = next;
            continue;
          }
          if (d === 0 && nul < 0) nul = i;
          if (d === c && src.charCodeAt(i + 1) === c && src.charCodeAt(i + 2) === c) {
            i += 3;
            closed = true;
            break;
          }
          i++;
        }
        if (!closed) return result(out, -1, open, count, first, last, lastLogical, hasComment, nul);
        last = i - 1;
        continue;
      }
      // A one-line string. If it does not close on its line, Python will say so; the PI then
      // ends at the first `?>` after the quote, so that the rest of the page is not swallowed.
      const open = i;
      i++;
      let closed = false;
      while (i < n) {
        const d = src.charCodeAt(i);
        if (d === BSL) {
          const e = src.charCodeAt(i + 1);
          if (e === LF || e === CR) {
            const next = e === CR && src.charCodeAt(i + 2) === LF ? i + 3 : i + 2;
            lineStarts[count] = next;
            kinds[count++] = 'string';
            i = next;
            continue;
          }
          i += 2;
          continue;
        }
        if (d === LF || d === CR) break;
        if (d === 0 && nul < 0) nul = i;
        if (d === c) {
          closed = true;
          break;
        }
        i++;
      }
      if (closed) {
        last = i;
        i++;
        continue;
      }
      const lineEnd = i;
      const cut = stopAtPI ? src.slice(open, lineEnd).indexOf('?>') : -1;
      const pi = cut < 0 ? -1 : open + cut;
      if (pi >= 0) {
        last = pi - 1;
        count = trimStarts(lineStarts, count, pi);
        return result(out, pi, -1, count, first, last, lastLogical, hasComment, nul);
      }
      last = lineEnd - 1;
      continue;
    }
    if (c === 40 || c === 91 || c === 123) depth++;
    else if (c === 41 || c === 93 || c === 125) depth = depth > 0 ? depth - 1 : 0;
    i++;
  }
  return result(out, -1, -1, count, first, last, lastLogical, hasComment, nul);
}

/**
 * The line count without the line starts recorded past `end` (a string continued with a
 * backslash, then cut short).
 */
function trimStarts(starts: readonly number[], count: number, end: number): number {
  while (count > 1 && starts[count - 1]! > end) count--;
  return count;
}

/** A PI line ready for codegen: its indentation relative to the PI's own first line. */
export interface CodeLine {
  /** the line without its indentation (verbatim for 'string' lines) and without the line break */
  text: string;
  kind: LineKind;
  /** spaces to put before `text` (relative; 'string' lines get none and no block indent) */
  indent: number;
  /** visual width of the indentation; for the first line, its column in the template line */
  width: number;
  line: number;
  /** 1-based template column of text[0] */
  col: number;
}

/**
 * One physical line of PI code as the lexer found it: a CodeLine with no indentation of its
 * own yet. One shape for both, so that a line that needs no re-indenting (every line of an
 * expression, a one-line statement) goes to codegen as it is, not copied.
 */
export type RawLine = CodeLine;

/** A line as every stage makes it: one object shape, so that codegen's reads stay monomorphic. */
export function codeLine(
  text: string,
  kind: LineKind,
  indent: number,
  width: number,
  line: number,
  col: number,
): CodeLine {
  return { text, kind, indent, width, line, col };
}

/**
 * Cuts the code `src[start, end)` into physical lines. `firstLineStart` is the offset where the
 * template line holding `start` begins (so that the first line's width is its real column).
 */
export function splitLines(
  src: string,
  scan: PyScan,
  end: number,
  firstLine: number,
  firstLineStart: number,
): RawLine[] {
  const starts = scan.lineStarts;
  const count = scan.lines;
  if (count === 1 || starts[1]! > end)
    return [oneLine(src, starts[0]!, end, scan.kinds[0]!, firstLine, firstLineStart)];
  const out: RawLine[] = [];
  for (let k = 0; k < count; k++) {
    const s = starts[k]!;
    if (s > end) break;
    let e = k + 1 < count ? starts[k + 1]! : end;
    if (e > end) e = end;
    while (e > s && (src.charCodeAt(e - 1) === LF || src.charCodeAt(e - 1) === CR)) e--;
    const kind = scan.kinds[k]!;
    const line = firstLine + k;
    const lineStart = k === 0 ? firstLineStart : s;
    if (kind === 'string') {
      out.push(codeLine(src.slice(s, e), kind, 0, 0, line, s - lineStart + 1));
      continue;
    }
    let t = s;
    while (t < e && isSpace(src.charCodeAt(t))) t++;
    const isLast = k === count - 1 || starts[k + 1]! > end;
    let te = e;
    if (isLast) while (te > t && isSpace(src.charCodeAt(te - 1))) te--;
    // The first line's width is its column, needed only when other lines follow. A PI with
    // several lines ends its first template line, so measuring costs each line at most once.
    const multi = count > 1 && starts[1]! <= end;
    out.push(
      codeLine(
        src.slice(t, te),
        kind,
        0,
        k > 0 || multi ? indentWidth(src.slice(lineStart, t)) : 0,
        line,
        t - lineStart + 1,
      ),
    );
  }
  return out;
}

/** The one line of a one-line PI, `src[s, end)`: `splitLines`'s common case. */
function oneLine(
  src: string,
  s: number,
  end: number,
  kind: LineKind,
  line: number,
  lineStart: number,
): RawLine {
  let e = end;
  while (e > s && (src.charCodeAt(e - 1) === LF || src.charCodeAt(e - 1) === CR)) e--;
  if (kind === 'string') return codeLine(src.slice(s, e), kind, 0, 0, line, s - lineStart + 1);
  let t = s;
  while (t < e && isSpace(src.charCodeAt(t))) t++;
  while (e > t && isSpace(src.charCodeAt(e - 1))) e--;
  return codeLine(src.slice(t, e), kind, 0, 0, line, t - lineStart + 1);
}

/**
 * Blank and comment-only lines carry nothing; dropping them keeps `<? # note ?>` from counting
 * as a statement (a block holding only that gets `pass`).
 */
function keep(l: RawLine): boolean {
  return l.kind === 'string' || (l.text !== '' && l.text.charCodeAt(0) !== 35); /* # */
}

/**
 * Removes the PI's own common indentation. The first line counts at the column where it stands
 * in the template, so `<? if x:` followed by a line indented further nests as it looks; a later
 * line to the left of the first one sets the base instead (`<? a = 1` then `b = 2` at column 1).
 */
export function dedent(raw: readonly RawLine[]): readonly CodeLine[] {
  // The common case, a one-line PI: its first line is never re-indented, so it is its own code.
  if (raw.length === 1) return keep(raw[0]!) ? raw : [];
  const lines = raw.filter(keep);
  if (lines.length === 0) return [];
  const firstIsCode = lines[0] === raw[0];
  let base = Infinity;
  for (let k = firstIsCode ? 1 : 0; k < lines.length; k++) {
    const l = lines[k]!;
    if (l.kind === 'logical') base = Math.min(base, l.width);
  }
  if (firstIsCode) base = Math.min(base, raw[0]!.width);
  if (!Number.isFinite(base)) base = 0;
  return lines.map((l, k) =>
    codeLine(
      l.text,
      l.kind,
      l.kind === 'string' || (k === 0 && firstIsCode) ? 0 : Math.max(0, l.width - base),
      l.width,
      l.line,
      l.col,
    ),
  );
}
