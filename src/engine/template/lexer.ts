/**
 * Stage 1: template text → tokens. A hand-written scanner (no regex over the whole page): text is
 * skipped with indexOf, tags are read attribute by attribute, PI code by pyscan. Malformed markup
 * is never an error — an `<` that does not start a well-formed tag is text — but an unterminated
 * `<?` is, because everything after it would silently become code.
 */
import { TemplateError } from './errors.js';
import { newScan, scanPython, splitLines, type PyScan, type RawLine } from './pyscan.js';
import { LineIndex, type Pos } from './source.js';
import type { AttrToken, PiToken, TagAttr, Token } from './tokens.js';

export interface LexResult {
  tokens: Token[];
  errors: TemplateError[];
  lines: LineIndex;
  /** the text the offsets refer to (the source without a byte-order mark) */
  source: string;
}

/**
 * Elements whose content HTML does not parse as markup; only PIs are recognised inside. Each
 * maps to what ends it, `</name` in any case (one RegExp per element kind, not per element:
 * `raw` sets lastIndex before every search).
 */
const RAW_TEXT = new Map(
  ['script', 'style', 'textarea', 'title'].map((name) => [name, new RegExp(`</${name}`, 'gi')]),
);

/** The end of a raw-text element named `name`, or undefined for any other element. */
function rawTextEnd(name: string): RegExp | undefined {
  // Lower-casing is a new string: only for names that could be one (s…/t…, 5 to 8 letters).
  const first = name.charCodeAt(0) | 32;
  if ((first !== 115 && first !== 116) || name.length < 5 || name.length > 8) return undefined;
  return RAW_TEXT.get(name.toLowerCase());
}

/** End of a tag name starting at `i` (a letter): letters, digits and `_:.-`. */
function nameEnd(src: string, i: number): number {
  const n = src.length;
  let k = i + 1;
  while (k < n) {
    const c = src.charCodeAt(k);
    if (
      (c >= 97 && c <= 122) ||
      (c >= 65 && c <= 90) ||
      (c >= 48 && c <= 58) /* digits and : */ ||
      c === 95 ||
      c === 46 ||
      c === 45
    )
      k++;
    else break;
  }
  return k;
}

/** The attributes of a plain tag are not kept. */
const NO_ATTRS: TagAttr[] = [];

/** Stops a tag attempt: the error is fatal for the whole template. */
class Fatal extends Error {}

/** indexOf with memory: after a miss, later searches from further on miss at once. */
class Finder {
  private from = -1;
  private found = -1;
  constructor(
    private readonly src: string,
    private readonly needle: string,
  ) {}
  next(from: number): number {
    if (this.from >= 0 && from >= this.from && (this.found < 0 || from <= this.found))
      return this.found;
    this.from = from;
    this.found = this.src.indexOf(this.needle, from);
    return this.found;
  }
}

/** Stands for a position that is not used (see `tag`). */
const NO_POS: Pos = { offset: 0, line: 0, col: 0 };

function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Where tokens go as they are found: an array, or the parser itself (see `lexInto`). */
export interface TokenSink {
  push(token: Token): unknown;
}

/** The text the offsets of a template refer to: its source without a byte-order mark. */
export function withoutBom(input: string): string {
  return input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
}

export function lex(input: string, file: string, tags: ReadonlySet<string> = new Set()): LexResult {
  const src = withoutBom(input);
  const tokens: Token[] = [];
  const lines = new LineIndex(src);
  const errors = new Lexer(src, file, tags, lines, tokens).run();
  return { tokens, errors, lines, source: src };
}

/**
 * Lexes `src` (already without its BOM) handing each token to `sink` as soon as it is final,
 * so that a consumer such as the parser never needs the whole token list in memory (the
 * compiler's fast path). Returns the lex errors.
 */
export function lexInto(
  src: string,
  file: string,
  tags: ReadonlySet<string>,
  lines: LineIndex,
  sink: TokenSink,
): TemplateError[] {
  return new Lexer(src, file, tags, lines, sink).run();
}

class Lexer {
  private readonly errors: TemplateError[] = [];
  private readonly n: number;
  private textStart = 0;
  private readonly pending: Token[] = [];
  private readonly piFinder: Finder;
  private readonly quoteFinders: Record<string, Finder>;
  /** The scan of the PI at hand: one object and its arrays, refilled for every PI. */
  private readonly scan: PyScan = newScan();

  constructor(
    private readonly src: string,
    private readonly file: string,
    private readonly tags: ReadonlySet<string>,
    private readonly lines: LineIndex,
    private readonly tokens: TokenSink,
  ) {
    this.n = src.length;
    this.piFinder = new Finder(src, '<?');
    this.quoteFinders = { '"': new Finder(src, '"'), "'": new Finder(src, "'") };
  }

  run(): TemplateError[] {
    try {
      this.text(0);
    } catch (e) {
      if (!(e instanceof Fatal)) throw e;
    }
    return this.errors;
  }

  private error(offset: number, message: string): TemplateError {
    const p = this.lines.pos(offset);
    const err = TemplateError.at('lex', this.file, this.lines, p.line, p.col, message);
    this.errors.push(err);
    return err;
  }

  private flush(upTo: number, into: TokenSink = this.tokens): void {
    if (upTo > this.textStart) {
      const line = this.lines.lineOf(this.textStart);
      into.push({
        kind: 'text',
        text: this.src.slice(this.textStart, upTo),
        line,
        col: this.lines.colOf(this.textStart, line),
      });
    }
  }

  /** Markup: looks for `<` and decides what it starts. */
  private text(from: number): void {
    const src = this.src;
    let p = from;
    while (p < this.n) {
      const lt = src.indexOf('<', p);
      if (lt < 0) break;
      const c = src.charCodeAt(lt + 1);
      if (c === 63 /* ? */) {
        if (this.isXmlDeclaration(lt)) {
          p = lt + 2;
          continue;
        }
        this.flush(lt);
        p = this.textStart = this.pi(lt, this.tokens);
      } else if (c === 33 /* ! */) {
        if (src.startsWith('<!--', lt)) p = this.raw(lt + 4, '-->');
        else if (src.startsWith('<![CDATA[', lt)) p = this.raw(lt + 9, ']]>');
        else p = lt + 2;
      } else if (c === 47 /* / */) {
        p = this.closeTag(lt);
      } else if (isLetter(c)) {
        p = this.tag(lt);
      } else {
        p = lt + 1;
      }
    }
    this.flush(this.n);
  }

  /** `<?xml version="1.0"?>` is markup, not Python. */
  private isXmlDeclaration(lt: number): boolean {
    const src = this.src;
    // One comparison settles nearly every PI before the string compare.
    return (
      src.charCodeAt(lt + 2) === 120 && src.startsWith('<?xml', lt) && isWs(src.charCodeAt(lt + 5))
    );
  }

  /**
   * Text up to `end` (a string, or `</name` case-insensitively) where only PIs count. Returns
   * where markup scanning resumes: after a comment's `-->`, or at a raw element's closing tag.
   */
  private raw(from: number, end: string | RegExp): number {
    let p = from;
    let stop = -1;
    let searched = false;
    for (;;) {
      // The terminator is searched again only when a PI ran past it: linear even when missing.
      if (!searched || (stop >= 0 && stop < p)) {
        searched = true;
        if (typeof end === 'string') stop = this.src.indexOf(end, p);
        else {
          end.lastIndex = p;
          stop = end.exec(this.src)?.index ?? -1;
        }
      }
      const pi = this.piFinder.next(p);
      if (pi >= 0 && (stop < 0 || pi < stop)) {
        if (this.isXmlDeclaration(pi)) {
          p = pi + 2;
          continue;
        }
        this.flush(pi);
        p = this.textStart = this.pi(pi, this.tokens);
        continue;
      }
      if (stop < 0) return this.n;
      return typeof end === 'string' ? stop + end.length : stop;
    }
  }

  /** `</Name>` of a custom tag; any other closing tag is text. */
  private closeTag(lt: number): number {
    if (this.tags.size === 0 || !isLetter(this.src.charCodeAt(lt + 2))) return lt + 2;
    const end = nameEnd(this.src, lt + 2);
    const name = this.src.slice(lt + 2, end);
    if (!this.tags.has(name)) return lt + 2;
    let k = end;
    while (k < this.n && isWs(this.src.charCodeAt(k))) k++;
    if (this.src.charCodeAt(k) !== 62) return lt + 2;
    this.flush(lt);
    const p = this.lines.pos(lt);
    this.tokens.push({ kind: 'tagClose', name, line: p.line, col: p.col });
    this.textStart = k + 1;
    return k + 1;
  }

  /** A PI at `lt`; pushes its token and returns the offset after `?>`. */
  private pi(lt: number, into: TokenSink): number {
    const src = this.src;
    const expr = src.charCodeAt(lt + 2) === 61; /* = */
    const start = lt + (expr ? 3 : 2);
    const scan = scanPython(src, start, this.n, true, this.scan);
    if (scan.end < 0) {
      if (scan.openString >= 0) {
        const q = this.lines.pos(scan.openString);
        this.error(
          lt,
          `unterminated '<?': the string opened at ${q.line}:${q.col} is never closed, so no '?>' ends this PI`,
        );
      } else {
        this.error(lt, "unterminated '<?': no '?>' before the end of the file");
      }
      throw new Fatal();
    }
    if (scan.nul >= 0) this.error(scan.nul, 'NUL character in Python code');
    const line = this.lines.lineOf(lt);
    const col = this.lines.colOf(lt, line);
    // `<?` and `<?=` hold no line break, so the code starts on the PI's line; a one-line PI
    // has its last logical line there too (no more line lookups for the common case).
    const token: PiToken = {
      kind: 'pi',
      expr,
      code: src.slice(start, scan.end),
      lines: splitLines(src, scan, scan.end, line, lt - col + 1),
      startsWithColon: scan.first >= 0 && src.charCodeAt(scan.first) === 58,
      endsWithColon: scan.last > scan.first && src.charCodeAt(scan.last) === 58,
      lastLogicalLine:
        scan.lastLogical < 0 ? 0 : scan.lines === 1 ? line : this.lines.lineOf(scan.lastLogical),
      hasComment: scan.hasComment,
      line,
      col,
    };
    into.push(token);
    return scan.end + 2;
  }

  /**
   * A start tag at `lt`. Plain tags stay text except for substituted attributes and PIs; known
   * custom tags become one token. Returns where scanning resumes (lt + 1 when not a tag).
   */
  private tag(lt: number): number {
    const src = this.src;
    const end = nameEnd(src, lt + 1);
    const name = src.slice(lt + 1, end);
    const custom = this.tags.has(name);
    // Tokens of a plain tag wait here until the tag is known to be well formed (tag() does not
    // nest, so one array serves every tag). It is empty here: every attempt ends by emptying it
    // when it holds anything (setting `length` costs even on an empty array).
    const out = this.pending;
    const attrs: TagAttr[] = custom ? [] : NO_ATTRS;
    // Text before the tag stays pending (flushed only if the tag yields tokens), so that a
    // failed attempt costs nothing but its own length.
    const savedTextStart = this.textStart;
    const errorsBefore = this.errors.length;
    let k = end;
    let empty = false;
    for (;;) {
      const wsStart = k;
      while (k < this.n && isWs(src.charCodeAt(k))) k++;
      if (k >= this.n) return this.giveUp(lt, savedTextStart, errorsBefore);
      const c = src.charCodeAt(k);
      if (c === 62 /* > */) {
        k++;
        break;
      }
      if (c === 47 /* / */ && src.charCodeAt(k + 1) === 62) {
        k += 2;
        empty = true;
        break;
      }
      if (c === 60 /* < */) {
        if (src.charCodeAt(k + 1) !== 63) return this.giveUp(lt, savedTextStart, errorsBefore);
        if (custom) {
          this.error(
            k,
            `a PI cannot stand inside the custom tag <${name}>; pass values as attr="=expr"`,
          );
          throw new Fatal();
        }
        this.flush(k, out);
        k = this.textStart = this.pi(k, out);
        continue;
      }
      if (c === 47 /* / */) {
        k++; // a stray slash: HTML ignores it
        continue;
      }
      const nameStart = k;
      while (k < this.n) {
        const d = src.charCodeAt(k);
        if (isWs(d) || d === 62 || d === 47 || d === 61 || d === 60) break;
        k++;
      }
      if (k === nameStart) {
        k++; // `=` where a name belongs: HTML takes it as part of a name; so do we, as text
        continue;
      }
      // The name and position matter only to a custom tag or a substitution: a plain tag's
      // literal attributes (most of them) are text and cost neither a slice nor a Pos.
      const nameEnd = k;
      const attrName = custom ? src.slice(nameStart, k) : '';
      const attrAt = custom ? this.lines.pos(nameStart) : NO_POS;
      let j = k;
      while (j < this.n && isWs(src.charCodeAt(j))) j++;
      if (src.charCodeAt(j) !== 61 /* = */) {
        if (custom)
          attrs.push({
            kind: 'literal',
            name: attrName,
            value: attrName,
            line: attrAt.line,
            col: attrAt.col,
          });
        continue;
      }
      j++;
      while (j < this.n && isWs(src.charCodeAt(j))) j++;
      const q = src[j];
      if (q === '"' || q === "'") {
        const prefix = src.charCodeAt(j + 1);
        const sigil = prefix === 61 || prefix === 63; // = or ?
        if (sigil && src.charCodeAt(j + 2) !== prefix) {
          const close = this.quoteFinders[q]!.next(j + 1);
          if (close < 0) return this.giveUp(lt, savedTextStart, errorsBefore);
          const attr = this.attrCode(
            prefix === 61 ? 'expr' : 'bool',
            custom ? attrName : src.slice(nameStart, nameEnd),
            custom ? attrAt : this.lines.pos(nameStart),
            j + 2,
            close,
          );
          if (custom) attrs.push({ ...attr, kind: attr.mode });
          else {
            this.flush(wsStart, out);
            out.push(attr);
            this.textStart = close + 1;
          }
          k = close + 1;
          continue;
        }
        // A literal value, perhaps escaped (`==x`, `??x`), perhaps holding PIs (plain tags).
        let valueStart = j + 1;
        if (sigil) {
          valueStart = j + 2;
          if (!custom) {
            this.flush(j + 1, out);
            this.textStart = valueStart;
          }
        }
        let p = valueStart;
        let close: number;
        for (;;) {
          close = this.quoteFinders[q]!.next(p);
          if (close < 0) return this.giveUp(lt, savedTextStart, errorsBefore);
          const pi = this.piFinder.next(p);
          if (pi < 0 || pi > close) break;
          if (custom) {
            this.error(
              pi,
              `a PI cannot stand in an attribute of the custom tag <${name}>; write ${attrName}="=expr"`,
            );
            throw new Fatal();
          }
          this.flush(pi, out);
          p = this.textStart = this.pi(pi, out);
        }
        if (custom) {
          attrs.push({
            kind: 'literal',
            name: attrName,
            value: src.slice(valueStart, close),
            line: attrAt.line,
            col: attrAt.col,
          });
        }
        k = close + 1;
        continue;
      }
      // An unquoted value: substitution needs quotes, so this is always literal.
      const valueStart = j;
      while (j < this.n) {
        const d = src.charCodeAt(j);
        if (isWs(d) || d === 62) break;
        if (d === 60) {
          if (src.charCodeAt(j + 1) !== 63) return this.giveUp(lt, savedTextStart, errorsBefore);
          break;
        }
        j++;
      }
      if (custom)
        attrs.push({
          kind: 'literal',
          name: attrName,
          value: src.slice(valueStart, j),
          line: attrAt.line,
          col: attrAt.col,
        });
      k = j;
    }
    if (custom) {
      const at = this.lines.pos(lt);
      this.flush(lt);
      this.tokens.push({ kind: 'tagOpen', name, attrs, empty, line: at.line, col: at.col });
      this.textStart = k;
      return k;
    }
    if (out.length !== 0) {
      for (let i = 0; i < out.length; i++) this.tokens.push(out[i]!);
      out.length = 0;
    }
    const rawEnd = empty ? undefined : rawTextEnd(name);
    return rawEnd ? this.raw(k, rawEnd) : k;
  }

  /** Gives up a tag attempt at `lt`: what it found is dropped, the `<` is text. */
  private giveUp(lt: number, savedTextStart: number, errorsBefore: number): number {
    this.textStart = savedTextStart;
    if (this.errors.length !== errorsBefore) this.errors.length = errorsBefore;
    if (this.pending.length !== 0) this.pending.length = 0;
    return lt + 1;
  }

  /** The expression of `attr="=expr"` / `attr="?cond"`, from `start` to the closing quote. */
  private attrCode(
    mode: 'expr' | 'bool',
    name: string,
    at: { line: number; col: number },
    start: number,
    end: number,
  ): AttrToken {
    const src = this.src;
    const scan: PyScan = scanPython(src, start, end, false, this.scan);
    if (scan.nul >= 0) this.error(scan.nul, 'NUL character in Python code');
    const first = this.lines.lineOf(start);
    scan.end = end; // the expression ends at the quote
    return {
      kind: 'attr',
      mode,
      name,
      code: src.slice(start, end),
      lines: splitLines(src, scan, end, first, this.lines.lineStart(first)),
      hasComment: scan.hasComment,
      line: at.line,
      col: at.col,
    };
  }
}

export type { RawLine };
