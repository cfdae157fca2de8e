/**
 * The block structure of a `.pt` template, read from its processing instructions: which PI opens
 * a block (`<? if x: ?>`), continues it (`<? :else: ?>`) or closes it (`<? :if ?>`). Pure: used
 * by the editor for folding and for matching a block's open and close.
 */

export interface Pi {
  /** offsets of `<?` and just after `?>` */
  start: number;
  end: number;
  /** 1-based lines of the PI's first and last character */
  startLine: number;
  endLine: number;
  kind: 'open' | 'clause' | 'close' | 'stmt' | 'expr';
}

export interface Block {
  /** the opener, then clauses in order, then the closer (absent when the block is unclosed) */
  pis: Pi[];
  closed: boolean;
}

function classify(body: string, isExpr: boolean): Pi['kind'] {
  if (isExpr) return 'expr';
  const text = body.trim();
  const opens = text.endsWith(':');
  if (text.startsWith(':')) return opens && text.length > 1 ? 'clause' : 'close';
  return opens ? 'open' : 'stmt';
}

export function scanPis(text: string): Pi[] {
  const pis: Pi[] = [];
  let line = 1;
  let lineAt = 0;
  const lineOf = (offset: number): number => {
    for (; lineAt < offset; lineAt++) if (text.charCodeAt(lineAt) === 10) line++;
    return line;
  };
  let at = 0;
  for (;;) {
    const start = text.indexOf('<?', at);
    if (start < 0) break;
    const close = text.indexOf('?>', start + 2);
    const end = close < 0 ? text.length : close + 2;
    const isExpr = text[start + 2] === '=';
    const body = text.slice(start + (isExpr ? 3 : 2), close < 0 ? text.length : close);
    const startLine = lineOf(start);
    const endLine = lineOf(Math.max(start, end - 1));
    pis.push({ start, end, startLine, endLine, kind: classify(body, isExpr) });
    if (close < 0) break;
    at = end;
  }
  return pis;
}

/** Blocks in document order of their openers; unbalanced closers are ignored. */
export function findBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  const stack: Block[] = [];
  for (const pi of scanPis(text)) {
    if (pi.kind === 'open') {
      const block: Block = { pis: [pi], closed: false };
      blocks.push(block);
      stack.push(block);
    } else if (pi.kind === 'clause') {
      stack.at(-1)?.pis.push(pi);
    } else if (pi.kind === 'close') {
      const block = stack.pop();
      if (block) {
        block.pis.push(pi);
        block.closed = true;
      }
    }
  }
  return blocks;
}

/** Fold ranges: from each opener or clause to the line before the next clause or the closer. */
export function foldRanges(text: string): { start: number; end: number }[] {
  const ranges: { start: number; end: number }[] = [];
  for (const block of findBlocks(text)) {
    if (!block.closed) continue;
    for (let i = 0; i + 1 < block.pis.length; i++) {
      const start = block.pis[i]!.endLine;
      const end = block.pis[i + 1]!.startLine - 1;
      if (end > start) ranges.push({ start, end });
    }
  }
  return ranges;
}

/** The block whose open, clause or close PI contains `offset`. */
export function blockAt(text: string, offset: number): Block | undefined {
  return findBlocks(text).find((b) => b.pis.some((pi) => offset >= pi.start && offset <= pi.end));
}
