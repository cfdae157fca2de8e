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

/**
 * The generated text goes into one growing UTF-16 buffer, decoded once at the end: writing a
 * piece copies its code units and allocates nothing, where an array of pieces (or a rope) would
 * keep every piece alive until the final join.
 */
class Writer {
  private buf: Uint16Array;
  private n = 0;
  /** every code unit written so far is below 256 (the result can be a one-byte string) */
  private narrow = true;
  private readonly wide = { or: 0 };
  /** per map entry: generated line, template line, template column (flat: one allocation) */
  private entries = new Int32Array(3 << 12);
  private entryCount = 0;
  readonly cols: number[] = [];
  /** generated lines so far */
  count = 0;

  /** `sizeHint`: the template's length; the output is typically 3–4 times as long. */
  constructor(sizeHint: number) {
    this.buf = new Uint16Array(Math.max(1 << 12, Math.min(sizeHint * 4, 1 << 24)));
  }

  private room(extra: number): Uint16Array {
    if (this.n + extra > this.buf.length) {
      const bigger = new Uint16Array(Math.max(this.buf.length * 2, this.n + extra));
      bigger.set(this.buf.subarray(0, this.n));
      this.buf = bigger;
    }
    return this.buf;
  }

  /**
   * Starts a generated line indented by `indent` spaces; `at` is the template position of the
   * generated column `col`. The caller puts the rest of the line, then `end()`s it.
   */
  start(at: Loc, col: number, indent: number): void {
    this.count++;
    let e = this.entries;
    const k = this.entryCount * 3;
    if (k + 3 > e.length) {
      e = new Int32Array(e.length * 2);
      e.set(this.entries);
      this.entries = e;
    }
    e[k] = this.count;
    e[k + 1] = at.line;
    e[k + 2] = at.col;
    this.entryCount++;
    this.cols.push(col);
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
    if (or > 0xff) this.narrow = false;
  }

  /** Writes the body of the Python literal of `text` (see pystr.ts), escaping as it copies. */
  putPyStr(text: string): void {
    // An escape is at most 6 units (\uXXXX) for one.
    const buf = this.room(text.length * 6);
    this.wide.or = 0;
    this.n = writePyStrBody(text, buf, this.n, this.wide);
    if (this.wide.or > 0xff) this.narrow = false;
  }

  end(): void {
    this.room(1)[this.n++] = 10;
  }

  /** A whole line of `text` at `indent`, mapped to `at` at its first character. */
  line(at: Loc, indent: number, text: string): void {
    this.start(at, indent + 1, indent);
    this.put(text);
    this.end();
  }

  /** A line that belongs to no template position (the header comment, the map constant). */
  plain(text: string): void {
    this.count++;
    this.put(text);
    this.end();
  }

  /** Writes a non-negative integer in decimal. */
  private putInt(v: number): void {
    const buf = this.room(10);
    if (v < 10) {
      buf[this.n++] = 48 + v;
      return;
    }
    let digits = 0;
    for (let x = v; x > 0; x = Math.floor(x / 10)) digits++;
    let n = this.n + digits;
    this.n = n;
    for (let x = v; x > 0; x = Math.floor(x / 10)) buf[--n] = 48 + (x % 10);
  }

  /**
   * The map as the Python constant ending the module, the same text as `linemapConstant`, written
   * digit by digit from the flat entries instead of through a string per number.
   */
  linemapLine(): void {
    this.count++;
    this.put('__pse_linemap__ = (');
    const e = this.entries;
    for (let i = 0, k = 0; i < this.entryCount; i++, k += 3) {
      this.put(i === 0 ? '(' : ', (');
      this.putInt(e[k]!);
      this.put(', ');
      this.putInt(e[k + 1]!);
      this.put(', ');
      this.putInt(e[k + 2]!);
      this.put(')');
    }
    this.put(this.entryCount === 1 ? ',)' : ')');
    this.end();
  }

  /** The map as the protocol's tuples, made in one go at the end (they live as long as the result). */
  map(): LineMapEntry[] {
    const e = this.entries;
    const out: LineMapEntry[] = new Array<LineMapEntry>(this.entryCount);
    for (let i = 0, k = 0; i < this.entryCount; i++, k += 3) out[i] = [e[k]!, e[k + 1]!, e[k + 2]!];
    return out;
  }

  text(): string {
    const bytes = Buffer.from(this.buf.buffer, this.buf.byteOffset, this.n * 2);
    if (!this.narrow) return bytes.toString('utf16le');
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
    return { py: w.text(), map: w.map(), cols: w.cols };
  }
}

function body(w: Writer, nodes: readonly Node[], indent: number): void {
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    switch (n.type) {
      case 'text':
        w.start(n, indent + 1, indent);
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
    if (l.kind === 'string') w.line(l, 0, l.text);
    else w.line(l, indent + l.indent, l.text);
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
  if (w.count === before) w.line(at, indent + extra, 'pass');
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
      w.start(l, indent + prefix.length + 1, indent);
      w.put(prefix);
    } else if (l.kind === 'string') w.start(l, 1, 0);
    else w.start(l, indent + STEP + 1, indent + STEP);
    w.put(l.text);
    if (k === last && !hasComment) w.put(suffix);
    w.end();
  }
  if (hasComment) w.line(lines[last]!, indent, suffix);
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
    w.line(n, indent, `__pse_tag_open__(${name}, {${dict}}, ${empty})`);
  } else {
    // One attribute per line, so that an error in an expression names its own line.
    w.line(n, indent, `__pse_tag_open__(${name}, {`);
    const inner = indent + STEP;
    for (const a of n.attrs) {
      const key = pyStr(a.name);
      if (a.kind === 'literal') w.line(a, inner, `${key}: ${pyStr(a.value)},`);
      else if (a.kind === 'expr') wrapped(w, inner, `${key}: (`, a.lines, '),', a.hasComment);
      else wrapped(w, inner, `**({${key}: ${key}} if (`, a.lines, ') else {}),', a.hasComment);
    }
    w.line(n, indent, `}, ${empty})`);
  }
  if (n.empty) return;
  body(w, n.body, indent);
  w.line(n.close ?? n, indent, `__pse_tag_close__(${name})`);
}
