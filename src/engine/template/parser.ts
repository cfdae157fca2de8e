/**
 * Stage 2: tokens → tree. PIs are classified (statement, block opener, close, clause) and
 * blocks and custom tags are nested on one stack, so that a tag closed across a block boundary
 * (or a block closed inside a tag) is reported where it happens. Structural errors stop the
 * parse (everything after them would be misplaced); local ones are collected.
 */
import { TemplateError } from './errors.js';
import type {
  BlockNode,
  ClauseNode,
  Loc,
  Node,
  TagAttrNode,
  TagNode,
  TemplateNode,
  TextNode,
} from './nodes.js';
import { codeLine, dedent, type CodeLine, type RawLine } from './pyscan.js';
import type { LineIndex } from './source.js';
import type { PiToken, TagAttr, Token } from './tokens.js';

export interface ParseResult {
  tree: TemplateNode;
  errors: TemplateError[];
}

type Container = BlockNode | TagNode;

interface ClauseRule {
  ok: (head: string, last: string) => boolean;
  after: string;
}

/**
 * Which clause may continue a chain: the chain's first keyword and its last one. A Map, so
 * that only these words are clauses (not `constructor` and the like from a plain object's
 * prototype).
 */
const CLAUSE_RULES = new Map<string, ClauseRule>([
  ['elif', { ok: (h, l) => h === 'if' && (l === 'if' || l === 'elif'), after: "'if' or 'elif'" }],
  [
    'else',
    {
      ok: (h, l) =>
        (h === 'if' && (l === 'if' || l === 'elif')) ||
        ((h === 'for' || h === 'while') && l === h) ||
        (h === 'try' && l === 'except'),
      after: "'if', 'elif', 'for', 'while' or 'except'",
    },
  ],
  [
    'except',
    { ok: (h, l) => h === 'try' && (l === 'try' || l === 'except'), after: "'try' or 'except'" },
  ],
  [
    'finally',
    {
      ok: (h, l) => h === 'try' && (l === 'try' || l === 'except' || l === 'else'),
      after: "'try', 'except' or 'else'",
    },
  ],
]);
/** Heads whose clauses we know; other block kinds (match, async for…) are left to Python. */
const KNOWN_HEADS = new Set(['if', 'for', 'while', 'try', 'with', 'def', 'class']);

/** Python's tokenizer stops at 100 indentation levels; deeper nesting cannot work anyway. */
const MAX_DEPTH = 100;
/** Blocks still open at the end: the first few are named, the rest counted. */
const MAX_UNCLOSED = 10;

class Stop extends Error {}

export function parse(tokens: readonly Token[], file: string, lines: LineIndex): ParseResult {
  const p = new Parser(file, lines);
  for (const t of tokens) p.push(t);
  return p.finish();
}

function isBlankExprLine(l: RawLine): boolean {
  return l.kind !== 'string' && l.text === '';
}

/**
 * Expression code: no re-indenting (it is written inside parentheses), blank lines dropped.
 * Raw lines have no indent of their own, so the lines are used as they are (usually all kept).
 */
function exprLines(raw: readonly RawLine[]): readonly CodeLine[] {
  return raw.some(isBlankExprLine) ? raw.filter((l) => !isBlankExprLine(l)) : raw;
}

/** The line of `lines` where a block's header ends (its last logical line, else the last). */
function headerLine(lines: readonly CodeLine[], line: number): CodeLine {
  for (let k = 0; k < lines.length; k++) {
    const c = lines[k]!;
    if (c.line === line && c.kind === 'logical') return c;
  }
  return lines[lines.length - 1]!;
}

function isWordChar(c: number, first: boolean): boolean {
  return (
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (!first && c >= 48 && c <= 57)
  );
}

/** The identifier `text` starts with ('' if none): `if`, `for`, `else`… (no regex match object). */
function leadingWord(text: string): string {
  let k = 0;
  while (k < text.length && isWordChar(text.charCodeAt(k), k === 0)) k++;
  return text.slice(0, k);
}

function describe(c: Container): string {
  if (c.type === 'tag') return `the custom tag <${c.name}> opened at ${c.line}:${c.col}`;
  let head = c.header[0]?.text ?? '';
  if (head.length > 40) head = head.slice(0, 39) + '…';
  return `the block '${head}' opened at ${c.line}:${c.col}`;
}

/** Completed top-level nodes are handed on in batches of about this many. */
const HAND_ON = 64;

/**
 * Takes tokens one at a time (`push`, so that the lexer can hand them over as it finds them) and
 * builds the tree; `finish` reports blocks left open. After a structural error further tokens
 * are ignored.
 *
 * With `complete`, top-level nodes that nothing can change any more (all but the last one,
 * which may be an open block or text that the next token extends) are handed to it as they
 * accumulate and leave the tree: the compiler generates code from them at once, so that a
 * large template's tree never exists whole. Nothing is handed on after an error.
 */
export class Parser {
  private stopped = false;
  private readonly errors: TemplateError[] = [];
  private readonly stack: Container[] = [];
  private readonly root: Node[] = [];
  private body: Node[] = this.root;
  /** the text node made last (see `token`) */
  private lastText: TextNode | undefined;

  constructor(
    private readonly file: string,
    private readonly lines: LineIndex,
    private readonly complete?: (nodes: readonly Node[]) => void,
  ) {}

  push(t: Token): void {
    if (this.stopped) return;
    try {
      this.token(t);
    } catch (e) {
      if (!(e instanceof Stop)) throw e;
      this.stopped = true;
    }
    if (this.complete && this.root.length > HAND_ON && this.errors.length === 0) {
      // splice keeps the array itself, which `body` may point to
      this.complete(this.root.splice(0, this.root.length - 1));
    }
  }

  finish(): ParseResult {
    if (!this.stopped) this.unclosed();
    return { tree: { type: 'template', file: this.file, body: this.root }, errors: this.errors };
  }

  private unclosed(): void {
    // Outermost first: the order in which they appear in the file.
    for (const c of this.stack.slice(0, MAX_UNCLOSED)) {
      const expect = c.type === 'tag' ? `</${c.name}>` : "'<? : ?>'";
      const more =
        this.stack.length > MAX_UNCLOSED && c === this.stack[MAX_UNCLOSED - 1]
          ? ` (and ${this.stack.length - MAX_UNCLOSED} more inside it)`
          : '';
      this.fail(
        c,
        `${describe(c)} is never closed: expected ${expect} before the end of the file${more}`,
        false,
      );
    }
  }

  private fail(at: Loc, message: string, stop = true): void {
    this.errors.push(TemplateError.at('parse', this.file, this.lines, at.line, at.col, message));
    if (stop) throw new Stop();
  }

  /** An attribute `="…"` / `="?…"` with nothing in it; parsing goes on. */
  private noExpression(at: Loc, name: string, mode: string): void {
    const sigil = mode === 'expr' ? '=' : '?';
    this.fail(
      at,
      `attribute '${name}' has '${sigil}' but no expression; write '${sigil}${sigil}' for a literal '${sigil}'`,
      false,
    );
  }

  private token(t: Token): void {
    switch (t.kind) {
      case 'text': {
        // Text right after text (around an empty PI) joins it. Asked by identity: a node
        // lives in one body, so the last text node made is the body's last node only if
        // nothing came after it (and reading `type` would see every node shape).
        const prev = this.body[this.body.length - 1];
        if (prev !== undefined && prev === this.lastText) this.lastText.text += t.text;
        else {
          this.lastText = { type: 'text', text: t.text, line: t.line, col: t.col };
          this.body.push(this.lastText);
        }
        return;
      }
      case 'pi':
        if (t.expr) this.expr(t);
        else this.statement(t);
        return;
      case 'attr': {
        const lines = exprLines(t.lines);
        if (lines.length === 0) {
          this.noExpression(t, t.name, t.mode);
          return;
        }
        this.body.push({
          type: 'attr',
          mode: t.mode,
          name: t.name,
          lines,
          hasComment: t.hasComment,
          line: t.line,
          col: t.col,
        });
        return;
      }
      case 'tagOpen': {
        const node: TagNode = {
          type: 'tag',
          name: t.name,
          attrs: this.tagAttrs(t.name, t.attrs),
          empty: t.empty,
          body: [],
          line: t.line,
          col: t.col,
        };
        this.body.push(node);
        if (!t.empty) this.enter(node);
        return;
      }
      case 'tagClose':
        this.closeTag(t.name, t);
        return;
    }
  }

  private enter(c: Container): void {
    if (this.stack.length >= MAX_DEPTH) {
      this.fail(
        c,
        `blocks and custom tags nest more than ${MAX_DEPTH} deep here; Python cannot compile that much nesting`,
      );
    }
    this.stack.push(c);
    this.body = c.body;
  }

  private pop(): Container {
    const c = this.stack.pop()!;
    const top = this.stack[this.stack.length - 1];
    this.body =
      top === undefined
        ? this.root
        : top.type === 'block' && top.clauses.length
          ? top.clauses[top.clauses.length - 1]!.body
          : top.body;
    return c;
  }

  private expr(t: PiToken): void {
    const lines = exprLines(t.lines);
    if (lines.length === 0) {
      this.fail(t, "'<?= ?>' needs an expression", false);
      return;
    }
    this.body.push({ type: 'expr', lines, hasComment: t.hasComment, line: t.line, col: t.col });
  }

  private statement(t: PiToken): void {
    if (t.startsWithColon && !t.endsWithColon) {
      this.close(t);
      return;
    }
    const code = dedent(t.lines);
    if (code.length === 0) return; // an empty PI writes nothing
    if (!t.startsWithColon) {
      if (!t.endsWithColon) {
        this.body.push({ type: 'code', lines: code, line: t.line, col: t.col });
        return;
      }
      const last = headerLine(code, t.lastLogicalLine);
      const keyword = leadingWord(last.text);
      if (CLAUSE_RULES.has(keyword)) {
        this.fail(
          t,
          `'${keyword}' continues a block: write '<? :${code[0]!.text} ?>' so that the block before it is closed first`,
        );
      }
      const block: BlockNode = {
        type: 'block',
        keyword,
        header: code,
        bodyIndent: last.indent + 4,
        body: [],
        clauses: [],
        line: t.line,
        col: t.col,
      };
      this.body.push(block);
      this.enter(block);
      return;
    }
    const top = this.openBlock(t, code);
    // A clause: the first line without its ':'; the header is written at the block's level.
    const first = code[0]!;
    const rest = first.text.slice(1);
    const text = rest.trimStart();
    const head = codeLine(
      text,
      first.kind,
      first.indent,
      first.width,
      first.line,
      first.col + 1 + rest.length - text.length,
    );
    // One line (`<? :else: ?>`): it ends with the ':', so it is never empty.
    const header =
      code.length === 1
        ? [head]
        : [head, ...code.slice(1)].filter((l) => l.text !== '' || l.kind === 'string');
    const last = headerLine(header, t.lastLogicalLine);
    const keyword = leadingWord(last.text);
    const rule = CLAUSE_RULES.get(keyword);
    const before = top.clauses.length ? top.clauses[top.clauses.length - 1]!.keyword : top.keyword;
    if (rule && KNOWN_HEADS.has(top.keyword) && !rule.ok(top.keyword, before)) {
      this.fail(
        t,
        `'${keyword}' cannot follow '${before}': it continues ${rule.after}, and the innermost open block is ${describe(top).replace(/^the /, '')}`,
      );
    }
    const clause: ClauseNode = {
      type: 'clause',
      keyword,
      header,
      bodyIndent: last.indent + 4,
      body: [],
      line: t.line,
      col: t.col,
    };
    top.clauses.push(clause);
    this.body = clause.body;
  }

  /** `<? : ?>` (any PI that starts with ':' and does not end with one; the rest is a comment). */
  private close(t: PiToken): void {
    this.openBlock(t);
    this.pop();
  }

  /**
   * The innermost open container, which a close or a `clause` (its code) needs to be a block:
   * otherwise a structural error.
   */
  private openBlock(at: Loc, clause?: readonly CodeLine[]): BlockNode {
    const top = this.stack[this.stack.length - 1];
    if (top?.type === 'block') return top;
    const what = clause ? `the clause '${clauseText(clause)}'` : "'<? : ?>'";
    if (top === undefined) {
      this.stop(
        at,
        clause
          ? `${what} has nothing to attach to: no block is open`
          : `${what} closes a block, but no block is open`,
      );
    }
    const does = clause ? 'continues a block' : 'closes a block';
    this.stop(
      at,
      `${what} ${does}, but ${describe(top)} is still open inside it: expected </${top.name}> first`,
    );
  }

  /** A structural error: the parse ends here. */
  private stop(at: Loc, message: string): never {
    this.fail(at, message, false);
    throw new Stop();
  }

  private closeTag(name: string, at: Loc): void {
    const top = this.stack[this.stack.length - 1];
    if (top?.type === 'tag' && top.name === name) {
      top.close = { line: at.line, col: at.col };
      this.pop();
      return;
    }
    const open = [...this.stack].reverse().find((c) => c.type === 'tag' && c.name === name);
    if (!open) {
      this.fail(
        at,
        `</${name}> closes nothing: no <${name}> is open${top ? ` (the innermost open one is ${describe(top).replace(/^the /, '')})` : ''}`,
      );
    } else if (top!.type === 'tag') {
      this.fail(
        at,
        `</${name}> does not match ${describe(top!)}: expected </${(top as TagNode).name}> first (custom tags must nest)`,
      );
    } else {
      this.fail(
        at,
        `</${name}> closes ${describe(open)}, but ${describe(top!)} inside it is still open: expected '<? : ?>' first`,
      );
    }
  }

  private tagAttrs(tag: string, attrs: readonly TagAttr[]): TagAttrNode[] {
    const seen = new Set<string>();
    const out: TagAttrNode[] = [];
    for (const a of attrs) {
      if (seen.has(a.name)) {
        this.fail(a, `attribute '${a.name}' is given twice in <${tag}>`, false);
        continue;
      }
      seen.add(a.name);
      if (a.kind === 'literal') {
        out.push(a);
        continue;
      }
      const lines = exprLines(a.lines);
      if (lines.length === 0) {
        this.noExpression(a, a.name, a.kind);
        continue;
      }
      out.push({
        kind: a.kind,
        name: a.name,
        lines,
        hasComment: a.hasComment,
        line: a.line,
        col: a.col,
      });
    }
    return out;
  }
}

function clauseText(code: readonly CodeLine[]): string {
  const t = code[0]!.text.slice(1).trim();
  return t.length > 40 ? t.slice(0, 39) + '…' : t;
}
