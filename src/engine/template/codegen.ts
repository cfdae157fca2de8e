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
import { MAP_NAME, parseMapText, type LineMapEntry, type LineMapText } from './linemap.js';
import { pyStr, writePyStrBody } from './pystr.js';

export interface Generated {
  py: string;
  map: LineMapEntry[];
  /** per map entry: the generated column (1-based) where the entry's template column applies */
  cols: number[];
  /** `map` as the server sends it to the workers: the value of the module's map constant */
  mapText: LineMapText;
}

const STEP = 4;
/** Int32 slots per line-map entry in the writer (see `Writer.entries`). */
const STRIDE = 4;

/** The code units of an ASCII constant, copied into the output in one go (`putUnits`). */
function units(text: string): Uint16Array {
  const u = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) u[i] = text.charCodeAt(i);
  return u;
}

// The constant pieces of the lines of text, expressions and custom-tag attributes.
const OUT_OPEN = units("__pse_out__('");
const OUT_CLOSE = units("')");
const EXPR_OPEN = units('__pse_out__(__pse_str__((');
const CALL_CLOSE = units(')))');
const ITEM_CLOSE = units('),');
const COND_ITEM_CLOSE = units(') else {}),');

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
/**
 * The line-map entries of the last finished compile, lent to the next one like `spare` (a
 * megabyte of entries per MB of template, grown by doubling, was fresh memory every time).
 * The result keeps what it needs: the map as text in the module, the columns copied out.
 */
let spareEntries: Int32Array | undefined;
/** A larger entries buffer is not kept between compiles (16 MB). */
const SPARE_ENTRIES_MAX = 1 << 22;

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
  private entries: Int32Array;
  private entryCount = 0;
  /** generated lines so far */
  count = 0;
  /** the largest template line or column recorded (sizes the map constant) */
  private maxPosition = 0;
  /** where the map constant's value starts in the output (see `linemapLine`) */
  mapStart = -1;
  private readonly exprAttrs = new Map<string, Uint16Array>();
  private readonly boolAttrs = new Map<string, Uint16Array>();
  private readonly pieces = new Map<string, Uint16Array>();
  private readonly names = new Map<string, string>();

  /** `sizeHint`: the template's length; the output is typically 3–4 times as long. */
  constructor(sizeHint: number) {
    this.entries = spareEntries ?? new Int32Array(STRIDE << 12);
    spareEntries = undefined;
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
    // `line | atCol` is at least the larger of the two (and has no more digits than twice it):
    // one comparison where a max of both would take two.
    if ((line | atCol) > this.maxPosition) this.maxPosition = line | atCol;
    const buf = this.room(indent);
    const n = this.n;
    for (let i = 0; i < indent; i++) buf[n + i] = 32;
    this.n = n + indent;
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

  /**
   * Writes code units made by `units` (or `unitsOf`, which accounts for their width): one
   * typed-array copy, where `put` reads a string one code unit at a time.
   */
  putUnits(u: Uint16Array): void {
    this.room(u.length).set(u, this.n);
    this.n += u.length;
  }

  /** `units(text)` for a piece made while generating (a key, a prefix), kept per compile. */
  unitsOf(text: string): Uint16Array {
    let u = this.pieces.get(text);
    if (u === undefined) {
      u = units(text);
      // It is converted to be written: its width counts now.
      for (let i = 0; i < u.length; i++) this.units |= u[i]!;
      this.pieces.set(text, u);
    }
    return u;
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

  /**
   * `attrPrefix(mode, name)` as units, made once per compile: a page repeats a few attribute
   * names (value, href, selected…) many times.
   */
  attrPrefix(mode: AttrNode['mode'], name: string): Uint16Array {
    const cache = mode === 'expr' ? this.exprAttrs : this.boolAttrs;
    let prefix = cache.get(name);
    if (prefix === undefined) {
      prefix = this.unitsOf(attrPrefix(mode, name));
      cache.set(name, prefix);
    }
    return prefix;
  }

  /** `pyStr(name)` of a tag or attribute name, made once per compile (names repeat). */
  quoted(name: string): string {
    let quoted = this.names.get(name);
    if (quoted === undefined) {
      quoted = pyStr(name);
      this.names.set(name, quoted);
    }
    return quoted;
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
    this.put(MAP_NAME);
    this.mapStart = this.n;
    this.put('(');
    const e = this.entries;
    const count = this.entryCount;
    // Room for every entry at the widest number's width, not the widest possible (which would
    // outgrow a buffer sized for the module and copy it). The generated line numbers grow, so
    // the last entry has the widest; template lines and columns were tracked as they came.
    const max = Math.max(count > 0 ? e[(count - 1) * STRIDE]! : 0, this.maxPosition);
    // Per entry: `,(` `,` `,` `)` and three numbers; then `,)` at most.
    const buf = this.room(count * (5 + 3 * digitCount(max)) + 2);
    let n = this.n;
    for (let i = 0, k = 0; i < count; i++, k += STRIDE) {
      if (i > 0) buf[n++] = 44; // ,
      buf[n++] = 40; // (
      n = writeDecimal(buf, n, e[k]!);
      buf[n++] = 44;
      n = writeDecimal(buf, n, e[k + 1]!);
      buf[n++] = 44;
      n = writeDecimal(buf, n, e[k + 2]!);
      buf[n++] = 41; // )
    }
    if (count === 1) buf[n++] = 44;
    buf[n++] = 41;
    this.n = n;
    this.end();
  }

  /**
   * The generated column of each map entry, copied out of the entries (which the next writer
   * reuses). The writer must not start a line after this.
   */
  colData(): Int32Array {
    const e = this.entries;
    const cols = new Int32Array(this.entryCount);
    for (let i = 0, k = 3; i < cols.length; i++, k += STRIDE) cols[i] = e[k]!;
    return cols;
  }

  /** Hands the buffers on to the next writer; this one must not be written after. */
  release(): void {
    if (this.buf.length <= SPARE_MAX && (spare === undefined || spare.length < this.buf.length))
      spare = this.buf;
    this.buf = new Uint16Array(0);
    this.n = 0;
    const e = this.entries;
    if (
      e.length <= SPARE_ENTRIES_MAX &&
      (spareEntries === undefined || spareEntries.length < e.length)
    )
      spareEntries = e;
    this.entries = new Int32Array(0);
    this.entryCount = 0;
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

/** Decimal digits of a non-negative integer. */
function digitCount(v: number): number {
  let digits = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
  return digits;
}

/** The digits of 0…99 as pairs of code units ('00', '01', … '99'). */
const DIGIT_PAIRS = new Uint16Array(200);
for (let i = 0; i < 100; i++) {
  DIGIT_PAIRS[2 * i] = 48 + Math.floor(i / 10);
  DIGIT_PAIRS[2 * i + 1] = 48 + (i % 10);
}

/** Writes the decimal digits of `v` (a non-negative int32) at `n`; returns where they end. */
function writeDecimal(buf: Uint16Array, n: number, v: number): number {
  // A map constant holds three numbers per generated line: digits go two per division, and a
  // comparison chain finds the width of the (mostly small) numbers without dividing.
  const digits =
    v < 10 ? 1 : v < 100 ? 2 : v < 1000 ? 3 : v < 10000 ? 4 : v < 100000 ? 5 : digitCount(v);
  let at = n + digits;
  let x = v;
  while (x >= 100) {
    const q = (x / 100) | 0;
    const pair = (x - q * 100) * 2;
    buf[--at] = DIGIT_PAIRS[pair + 1]!;
    buf[--at] = DIGIT_PAIRS[pair]!;
    x = q;
  }
  if (x >= 10) {
    buf[--at] = DIGIT_PAIRS[x * 2 + 1]!;
    buf[--at] = DIGIT_PAIRS[x * 2]!;
  } else buf[--at] = 48 + x;
  return n + digits;
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
    const py = w.text();
    const cols = w.colData();
    w.release();
    // The map constant's value, up to the line break: a slice shares the module's text.
    return withLazyMap({ py }, py.slice(w.mapStart, py.length - 1), cols);
  }
}

function body(w: Writer, nodes: readonly Node[], indent: number): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    switch (n.type) {
      case 'text':
        w.start(n.line, n.col, indent + 1, indent);
        w.putUnits(OUT_OPEN);
        w.putPyStr(n.text);
        w.putUnits(OUT_CLOSE);
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
  prefix: Uint16Array,
  lines: readonly CodeLine[],
  suffix: Uint16Array,
  hasComment: boolean,
): void {
  const last = lines.length - 1;
  for (let k = 0; k <= last; k++) {
    const l = lines[k]!;
    if (k === 0) {
      w.start(l.line, l.col, indent + prefix.length + 1, indent);
      w.putUnits(prefix);
    } else if (l.kind === 'string') w.start(l.line, l.col, 1, 0);
    else w.start(l.line, l.col, indent + STEP + 1, indent + STEP);
    w.put(l.text);
    if (k === last && !hasComment) w.putUnits(suffix);
    w.end();
  }
  if (hasComment) {
    const l = lines[last]!;
    w.start(l.line, l.col, indent + 1, indent);
    w.putUnits(suffix);
    w.end();
  }
}

function expr(w: Writer, n: ExprNode, indent: number): void {
  wrapped(w, indent, EXPR_OPEN, n.lines, CALL_CLOSE, n.hasComment);
}

function attr(w: Writer, n: AttrNode, indent: number): void {
  wrapped(w, indent, w.attrPrefix(n.mode, n.name), n.lines, CALL_CLOSE, n.hasComment);
}

/** The start of the line of `name="=expr"` (mode 'expr') or `name="?cond"` (mode 'bool'). */
function attrPrefix(mode: AttrNode['mode'], name: string): string {
  const fn = mode === 'expr' ? '__pse_attr__' : '__pse_battr__';
  return `__pse_out__(${fn}(${pyStr(name)}, (`;
}

function tag(w: Writer, n: TagNode, indent: number): void {
  const name = w.quoted(n.name);
  const empty = n.empty ? 'True' : 'False';
  if (n.attrs.every((a) => a.kind === 'literal')) {
    const dict = n.attrs
      .map((a) => `${w.quoted(a.name)}: ${pyStr(a.kind === 'literal' ? a.value : '')}`)
      .join(', ');
    w.line(n.line, n.col, indent, `__pse_tag_open__(${name}, {${dict}}, ${empty})`);
  } else {
    // One attribute per line, so that an error in an expression names its own line.
    w.line(n.line, n.col, indent, `__pse_tag_open__(${name}, {`);
    const inner = indent + STEP;
    for (const a of n.attrs) {
      const key = w.quoted(a.name);
      if (a.kind === 'literal') w.line(a.line, a.col, inner, `${key}: ${pyStr(a.value)},`);
      else if (a.kind === 'expr')
        wrapped(w, inner, w.unitsOf(`${key}: (`), a.lines, ITEM_CLOSE, a.hasComment);
      else {
        const open = w.unitsOf(`**({${key}: ${key}} if (`);
        wrapped(w, inner, open, a.lines, COND_ITEM_CLOSE, a.hasComment);
      }
    }
    w.line(n.line, n.col, indent, `}, ${empty})`);
  }
  if (n.empty) return;
  body(w, n.body, indent);
  const close = n.close ?? n;
  w.line(close.line, close.col, indent, `__pse_tag_close__(${name})`);
}

/**
 * `obj` with the map: `mapText` (what the server sends) as it is, and `map` and `cols` made
 * from it and from `colData` when first read, then kept. The tuples are tens of thousands of
 * small arrays per MB of template that most callers never look at; building them eagerly was
 * a tenth of the compile time. `map` and `cols` are ordinary enumerable properties to their
 * readers (spread, JSON, structured clone and equality all see the arrays) and can be
 * assigned; `mapText`, the same entries as `map`, is not enumerable, so that copies and JSON
 * carry the map once.
 */
export function withLazyMap<T extends object>(
  obj: T,
  mapText: LineMapText,
  colData: Int32Array,
): T & { map: LineMapEntry[]; cols: number[]; mapText: LineMapText } {
  let map: LineMapEntry[] | undefined;
  let cols: number[] | undefined;
  Object.defineProperty(obj, 'mapText', { value: mapText, enumerable: false, configurable: true });
  Object.defineProperty(obj, 'map', {
    enumerable: true,
    configurable: true,
    get: () => (map ??= parseMapText(mapText)),
    set: (v: LineMapEntry[]) => {
      map = v;
    },
  });
  Object.defineProperty(obj, 'cols', {
    enumerable: true,
    configurable: true,
    get: () => (cols ??= Array.from(colData)),
    set: (v: number[]) => {
      cols = v;
    },
  });
  return obj as T & { map: LineMapEntry[]; cols: number[]; mapText: LineMapText };
}
