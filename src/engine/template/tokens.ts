/** The tokens the lexer hands to the parser. Every token carries its template line and column. */
import type { RawLine } from './pyscan.js';

export interface Loc {
  line: number;
  col: number;
}

/** Markup written out verbatim. */
export interface TextToken extends Loc {
  kind: 'text';
  text: string;
}

/** `<? … ?>` (statements) or `<?= … ?>` (an expression); line/col are those of `<?`. */
export interface PiToken extends Loc {
  kind: 'pi';
  expr: boolean;
  /** the code between `<?`/`<?=` and `?>`, as written */
  code: string;
  lines: RawLine[];
  /** the first significant character is `:` (a close or a clause) */
  startsWithColon: boolean;
  /** the last significant character is `:` and is not also the first (opens a block) */
  endsWithColon: boolean;
  /** template line where the last logical line of the code starts (0 when empty) */
  lastLogicalLine: number;
  hasComment: boolean;
}

/** `name="=expr"` or `name="?cond"` inside a plain tag. line/col: the attribute name. */
export interface AttrToken extends Loc {
  kind: 'attr';
  mode: 'expr' | 'bool';
  name: string;
  code: string;
  lines: RawLine[];
  hasComment: boolean;
}

export type TagAttr =
  | (Loc & { kind: 'literal'; name: string; value: string })
  | (Loc & {
      kind: 'expr' | 'bool';
      name: string;
      code: string;
      lines: RawLine[];
      hasComment: boolean;
    });

/** `<Name …>` or `<Name … />` of a known custom tag. */
export interface TagOpenToken extends Loc {
  kind: 'tagOpen';
  name: string;
  attrs: TagAttr[];
  empty: boolean;
}

/** `</Name>` of a known custom tag. */
export interface TagCloseToken extends Loc {
  kind: 'tagClose';
  name: string;
}

export type Token = TextToken | PiToken | AttrToken | TagOpenToken | TagCloseToken;
