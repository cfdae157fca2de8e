/**
 * Stage 2's output: the template tree. Every node carries the template line and column it came
 * from, so that codegen can record where each generated line comes from.
 */
import type { CodeLine } from './pyscan.js';

export interface Loc {
  line: number;
  col: number;
}

export interface TextNode extends Loc {
  type: 'text';
  text: string;
}

/** Python statements of a `<? ?>`, its own indentation removed. */
export interface CodeNode extends Loc {
  type: 'code';
  lines: readonly CodeLine[];
}

/** A PI that opens a block, with what follows it up to the close, and its clauses. */
export interface BlockNode extends Loc {
  type: 'block';
  /** first word of the header's last logical line (`if`, `for`, `try`…), for clause checks */
  keyword: string;
  header: readonly CodeLine[];
  /** extra indentation of the body beyond the header's first line */
  bodyIndent: number;
  body: Node[];
  clauses: ClauseNode[];
}

/** `<? :else: ?>`, `<? :elif c: ?>`, `<? :except E: ?>`, `<? :finally: ?>`. */
export interface ClauseNode extends Loc {
  type: 'clause';
  keyword: string;
  header: readonly CodeLine[];
  bodyIndent: number;
  body: Node[];
}

/** `<?= expr ?>`. */
export interface ExprNode extends Loc {
  type: 'expr';
  lines: readonly CodeLine[];
  hasComment: boolean;
}

/** `attr="=expr"` / `attr="?cond"` in a plain tag. line/col: the attribute's name. */
export interface AttrNode extends Loc {
  type: 'attr';
  mode: 'expr' | 'bool';
  name: string;
  lines: readonly CodeLine[];
  hasComment: boolean;
}

export type TagAttrNode =
  | (Loc & { kind: 'literal'; name: string; value: string })
  | (Loc & {
      kind: 'expr' | 'bool';
      name: string;
      lines: readonly CodeLine[];
      hasComment: boolean;
    });

/** A custom tag. `close` is where `</Name>` stands (absent for `<Name/>`). */
export interface TagNode extends Loc {
  type: 'tag';
  name: string;
  attrs: TagAttrNode[];
  empty: boolean;
  body: Node[];
  close?: Loc;
}

export type Node = TextNode | CodeNode | BlockNode | ExprNode | AttrNode | TagNode;

export interface TemplateNode {
  type: 'template';
  file: string;
  body: Node[];
}
