/**
 * Stage 3: tree → Python source. Each line is written through the `Writer`, which records where
 * in the template it comes from, so the map is exact by construction. Consecutive text is one
 * `__pse_out__` call; a block that ends up with no statement gets `pass`.
 *
 * Speed: a line is written as its pieces (indent, constant prefix, a slice of the template,
 * suffix) into one buffer, so no per-line string is built, kept and joined.
 *
 * Names the runtime provides in the servlet namespace: __pse_out__, __pse_str__, __pse_attr__,
 * __pse_battr__, __pse_tag_open__, __pse_tag_close__ (see index.ts for their contract).
 */
import type { LineMapEntry } from '../runtime/protocol.js';
import type {
  AttrNode,
  BlockNode,
  ClauseNode,
  ExprNode,
  Loc,
  Node,
  TagNode,
  TemplateNode,
} from './nodes.js';
import type { CodeLine } from './pyscan.js';
import { pyStr, writePyStrBody } from './pystr.js';

export interface Generated {
  py: string;
  map: LineMapEntry[];
  /** per map entry: the generated column (1-based) where the entry's template column applies */
  cols: number[];
}

const STEP = 4;
/** Int32 slots per line-map entry in the writer (see `Writer.entries`). */
const STRIDE = 4;

/**
 * The generated text goes into one growing UTF-16 buffer, decoded once at the end: writing a
 * piece copies its code units and allocates nothing, where an array of pieces (or a rope) would
 * keep every piece alive until the final join.
 */
/**
 * The output buffer of the last finished compile, lent to the next one. A fresh multi-megabyte
 * buffer per compile costs its zero-fill and a page fault per 4 KB on first write (the kernel
 * time was a third of the compile). Compiles are synchronous, so one is normally enough; a
 * writer that finds it lent out (two generators at once, or one that threw) makes its own.
 */
let spare: Uint16Array | undefined;
/** A larger buffer is not kept between compiles (16 MB). */
const SPARE_MAX = 1 << 23;

class Writer {
  private buf: Uint16Array;
  private n = 0;
  /**
   * OR of every code unit written so far: below 0x100, the result can be a one-byte string.
   */
  private units = 0;
  private readonly wide = { or: 0 };
  /**
   * per map entry: generated line, template line, template column, and the generated column
   * where that template column applies (flat: one allocation, not an array per line)
   */
  private entries = new Int32Array(STRIDE << 12);
  private entryCount = 0;
  /** generated lines so far */
  count = 0;

  /** `sizeHint`: the template's length; the output is typically 3–4 times as long. */
  constructor(sizeHint: number) {
    const want = Math.max(1 << 12, Math.min(sizeHint * 4, 1 << 24));
    if (spare !== undefined && spare.length >= want) {
      this.buf = spare;
      spare = undefined;
    } else this.buf = new Uint16Array(want);
  }

  /** The buffer, with room for `extra` more units (small, so that V8 inlines it everywhere). */
  private room(extra: number): Uint16Array {
    const buf = this.buf;
    return this.n + extra <= buf.length ? buf : this.grow(extra);
  }

  private grow(extra: number): Uint16Array {
    const bigger = new Uint16Array(Math.max(this.buf.length * 2, this.n + extra));
    bigger.set(this.buf.subarray(0, this.n));
    this.buf = bigger;
    return bigger;
  }

  /**
   * Starts a generated line indented by `indent` spaces; template `line`:`atCol` is where the
   * generated column `col` comes from. The caller puts the rest of the line, then `end()`s it.
   */
  start(line: number, atCol: number, col: number, indent: number): void {
    // Positions come as numbers: callers read them from their own node type (a monomorphic
    // access), where `at.line` here would see every node shape.
    this.count++;
    let e = this.entries;
    const k = this.entryCount * STRIDE;
    if (k + STRIDE > e.length) {
      e = new Int32Array(e.length * 2);
      e.set(this.entries);
      this.entries = e;
    }
    e[k] = this.count;
    e[k + 1] = line;
    e[k + 2] = atCol;
    this.entryCount++;
    e[k + 3] = col;
    const buf = this.room(indent);
    for (let i = 0; i < indent; i++) buf[this.n++] = 32;
  }

  /** Writes `text[from, to)`. */
  put(text: string, from = 0, to = text.length): void {
    const buf = this.room(to - from);
    let n = this.n;
    let or = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      or |= c;
      buf[n++] = c;
    }
    this.n = n;
    this.units |= or;
  }

  /** Writes the body of the Python literal of `text` (see pystr.ts), escaping as it copies. */
  putPyStr(text: string): void {
    // An escape is at most 6 units (\uXXXX) for one.
    const buf = this.room(text.length * 6);
    this.wide.or = 0;
    this.n = writePyStrBody(text, buf, this.n, this.wide);
    this.units |= this.wide.or;
  }

  end(): void {
    this.room(1)[this.n++] = 10;
  }

  /** A whole line of `text` at `indent`, mapped to `at` at its first character. */
  line(line: number, col: number, indent: number, text: string): void {
    this.start(line, col, indent + 1, indent);
    this.put(text);
    this.end();
  }

  /** A line that belongs to no template position (the header comment, the map constant). */
  plain(text: string): void {
    this.count++;
    this.put(text);
    this.end();
  }

  /**
   * The map as the Python constant ending the module, the same text as `linemapConstant`, written
   * digit by digit from the flat entries into buffer space reserved once, instead of through a
   * string per number.
   */
  linemapLine(): void {
    this.count++;
    this.put('__pse_linemap__ = (');
    const e = this.entries;
    const count = this.entryCount;
    // Room for every entry at the widest number's width, not the widest possible (which would
    // outgrow a buffer sized for the module and copy it).
    let max = 0;
    for (let k = 0; k < count * STRIDE; k++) if (k % STRIDE !== 3 && e[k]! > max) max = e[k]!;
    // Per entry: `, (` `, ` `, ` `)` and three numbers; then `,)` at most.
    const buf = this.room(count * (8 + 3 * String(max).length) + 2);
    let n = this.n;
    for (let i = 0; i < count; i++) {
      if (i > 0) {
        buf[n++] = 44; // ,
        buf[n++] = 32;
      }
      buf[n++] = 40; // (
      for (let j = 0; j < 3; j++) {
        if (j > 0) {
          buf[n++] = 44;
          buf[n++] = 32;
        }
        const v = e[i * STRIDE + j]!;
        if (v < 10) buf[n++] = 48 + v;
        else {
          let digits = 1;
          for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
          let at = n + digits;
          n = at;
          for (let x = v; x > 0; x = (x / 10) | 0) buf[--at] = 48 + (x % 10);
        }
      }
      buf[n++] = 41; // )
    }
    if (count === 1) buf[n++] = 44;
    buf[n++] = 41;
    this.n = n;
    this.end();
  }

  /** The flat map entries, handed over: the writer must not start a line after this. */
  entryData(): { entries: Int32Array; count: number } {
    return { entries: this.entries, count: this.entryCount };
  }

  /** Hands the buffer on to the next writer; this one must not be written after. */
  release(): void {
    if (this.buf.length <= SPARE_MAX && (spare === undefined || spare.length < this.buf.length))
      spare = this.buf;
    this.buf = new Uint16Array(0);
    this.n = 0;
  }

  text(): string {
    const bytes = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.n * 2);
    if (this.units > 0xff) return bytes.toString('utf16le');
    // All code units fit in one byte: a one-byte string takes half the memory.
    const latin1 = Buffer.allocUnsafe(this.n);
    const buf = this.buf;
    for (let i = 0; i < this.n; i++) latin1[i] = buf[i]!;
    return latin1.toString('latin1');
  }
}

export function generate(tree: TemplateNode): Generated {
  const g = new Generator(tree.file, 0);
  g.add(tree.body);
  return g.finish();
}

/**
 * Code for a template's top-level nodes, given in order in one or more batches (the parser
 * hands them on as they complete), then `finish`. `generate` is the one-batch case.
 */
export class Generator {
  private readonly w: Writer;

  /** `sizeHint`: the template's length, to size the output buffer once (0: unknown). */
  constructor(file: string, sizeHint: number) {
    this.w = new Writer(sizeHint);
    this.w.plain(
      `# Generated by PSE from ${JSON.stringify(file).replace(/[\r\n\u2028\u2029]/g, ' ')}: edit the .pt, not this file.`,
    );
  }

  add(nodes: readonly Node[]): void {
    body(this.w, nodes, 0);
  }

  finish(): Generated {
    const w = this.w;
    w.linemapLine();
    const { entries, count } = w.entryData();
    const py = w.text();
    w.release();
    return withLazyMap({ py }, entries, count);
  }
}

function body(w: Writer, nodes: readonly Node[], indent: number): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    switch (n.type) {
      case 'text':
        w.start(n.line, n.col, indent + 1, indent);
        w.put("__pse_out__('");
        w.putPyStr(n.text);
        w.put("')");
        w.end();
        break;
      case 'code':
        statements(w, n.lines, indent);
        break;
      case 'block':
        block(w, n, indent);
        break;
      case 'expr':
        expr(w, n, indent);
        break;
      case 'attr':
        attr(w, n, indent);
        break;
      case 'tag':
        tag(w, n, indent);
        break;
    }
  }
}

function statements(w: Writer, lines: readonly CodeLine[], indent: number): void {
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.kind === 'string') w.line(l.line, l.col, 0, l.text);
    else w.line(l.line, l.col, indent + l.indent, l.text);
  }
}

function block(w: Writer, n: BlockNode, indent: number): void {
  statements(w, n.header, indent);
  suite(w, n, n.bodyIndent, n.body, indent);
  for (const c of n.clauses) clause(w, c, indent);
}

function clause(w: Writer, c: ClauseNode, indent: number): void {
  statements(w, c.header, indent);
  suite(w, c, c.bodyIndent, c.body, indent);
}

function suite(w: Writer, at: Loc, extra: number, nodes: readonly Node[], indent: number): void {
  const before = w.count;
  body(w, nodes, indent + extra);
  if (w.count === before) w.line(at.line, at.col, indent + extra, 'pass');
}

/**
 * Code inside a call: `prefix` + the lines + `suffix`. The lines stand inside parentheses, so
 * their indentation does not matter; a comment would swallow the suffix, which then gets a line
 * of its own.
 */
function wrapped(
  w: Writer,
  indent: number,
  prefix: string,
  lines: readonly CodeLine[],
  suffix: string,
  hasComment: boolean,
): void {
  const last = lines.length - 1;
  for (let k = 0; k <= last; k++) {
    const l = lines[k]!;
    if (k === 0) {
      w.start(l.line, l.col, indent + prefix.length + 1, indent);
      w.put(prefix);
    } else if (l.kind === 'string') w.start(l.line, l.col, 1, 0);
    else w.start(l.line, l.col, indent + STEP + 1, indent + STEP);
    w.put(l.text);
    if (k === last && !hasComment) w.put(suffix);
    w.end();
  }
  if (hasComment) {
    const l = lines[last]!;
    w.line(l.line, l.col, indent, suffix);
  }
}

function expr(w: Writer, n: ExprNode, indent: number): void {
  wrapped(w, indent, '__pse_out__(__pse_str__((', n.lines, ')))', n.hasComment);
}

function attr(w: Writer, n: AttrNode, indent: number): void {
  const fn = n.mode === 'expr' ? '__pse_attr__' : '__pse_battr__';
  wrapped(w, indent, `__pse_out__(${fn}(${pyStr(n.name)}, (`, n.lines, ')))', n.hasComment);
}

function tag(w: Writer, n: TagNode, indent: number): void {
  const name = pyStr(n.name);
  const empty = n.empty ? 'True' : 'False';
  if (n.attrs.every((a) => a.kind === 'literal')) {
    const dict = n.attrs
      .map((a) => `${pyStr(a.name)}: ${pyStr(a.kind === 'literal' ? a.value : '')}`)
      .join(', ');
    w.line(n.line, n.col, indent, `__pse_tag_open__(${name}, {${dict}}, ${empty})`);
  } else {
    // One attribute per line, so that an error in an expression names its own line.
    w.line(n.line, n.col, indent, `__pse_tag_open__(${name}, {`);
    const inner = indent + STEP;
    for (const a of n.attrs) {
      const key = pyStr(a.name);
      if (a.kind === 'literal') w.line(a.line, a.col, inner, `${key}: ${pyStr(a.value)},`);
      else if (a.kind === 'expr') wrapped(w, inner, `${key}: (`, a.lines, '),', a.hasComment);
      else wrapped(w, inner, `**({${key}: ${key}} if (`, a.lines, ') else {}),', a.hasComment);
    }
    w.line(n.line, n.col, indent, `}, ${empty})`);
  }
  if (n.empty) return;
  body(w, n.body, indent);
  const close = n.close ?? n;
  w.line(close.line, close.col, indent, `__pse_tag_close__(${name})`);
}

/** The map as the protocol's tuples, one small array per entry. */
function mapTuples(e: Int32Array, count: number): LineMapEntry[] {
  const out: LineMapEntry[] = [];
  for (let k = 0; k < count * STRIDE; k += STRIDE) out.push([e[k]!, e[k + 1]!, e[k + 2]!]);
  return out;
}

/** Per map entry, the generated column where its template column applies. */
function mapCols(e: Int32Array, count: number): number[] {
  const out: number[] = [];
  for (let k = 3; k < count * STRIDE; k += STRIDE) out.push(e[k]!);
  return out;
}

/**
 * `obj` with `map` and `cols` properties made from the flat entries when first read, then kept.
 * The tuples are tens of thousands of small arrays per MB of template that most callers (a
 * compile whose code runs without error) never look at; building them eagerly was a tenth of
 * the compile time. The properties are ordinary enumerable ones to their readers (spread, JSON,
 * structured clone and equality all see the arrays) and can be assigned.
 */
export function withLazyMap<T extends object>(
  obj: T,
  entries: Int32Array,
  count: number,
): T & { map: LineMapEntry[]; cols: number[] } {
  let map: LineMapEntry[] | undefined;
  let cols: number[] | undefined;
  Object.defineProperty(obj, 'map', {
    enumerable: true,
    configurable: true,
    get: () => (map ??= mapTuples(entries, count)),
    set: (v: LineMapEntry[]) => {
      map = v;
    },
  });
  Object.defineProperty(obj, 'cols', {
    enumerable: true,
    configurable: true,
    get: () => (cols ??= mapCols(entries, count)),
    set: (v: number[]) => {
      cols = v;
    },
  });
  return obj as T & { map: LineMapEntry[]; cols: number[] };
}
