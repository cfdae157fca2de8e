/** The template block scanner behind folding and open/close matching in the editor. */
import { describe, expect, it } from 'vitest';
import { blockAt, findBlocks, foldRanges, scanPis } from '../../src/renderer/editor/pse-blocks.js';

const TEMPLATE = [
  '<ul>', // 1
  '<? for x in items: ?>', // 2
  '  <li><?= x ?></li>', // 3
  '  <? if x > 1: ?>', // 4
  '    big', // 5
  '  <? :else: ?>', // 6
  '    small', // 7
  '  <? :if ?>', // 8
  '<? :for ?>', // 9
  '</ul>', // 10
].join('\n');

describe('pse blocks', () => {
  it('classifies PIs', () => {
    expect(scanPis(TEMPLATE).map((p) => [p.kind, p.startLine])).toEqual([
      ['open', 2],
      ['expr', 3],
      ['open', 4],
      ['clause', 6],
      ['close', 8],
      ['close', 9],
    ]);
  });

  it('pairs openers, clauses and closers, innermost first', () => {
    const blocks = findBlocks(TEMPLATE);
    expect(blocks.map((b) => b.pis.map((p) => p.startLine))).toEqual([
      [2, 9],
      [4, 6, 8],
    ]);
    expect(blocks.every((b) => b.closed)).toBe(true);
  });

  it('folds each branch of a block', () => {
    expect(foldRanges(TEMPLATE)).toEqual([
      { start: 2, end: 8 },
      { start: 4, end: 5 },
      { start: 6, end: 7 },
    ]);
  });

  it('finds the block of the PI under the cursor', () => {
    const at = TEMPLATE.indexOf('<? :else: ?>') + 4;
    expect(blockAt(TEMPLATE, at)?.pis.map((p) => p.startLine)).toEqual([4, 6, 8]);
    expect(blockAt(TEMPLATE, TEMPLATE.indexOf('big'))).toBeUndefined();
  });

  it('leaves an unclosed block unfolded and an unterminated PI at the end', () => {
    const text = '<? if a: ?>\nx\n<? y = 1';
    const blocks = findBlocks(text);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.closed).toBe(false);
    expect(foldRanges(text)).toEqual([]);
    expect(scanPis(text).at(-1)).toMatchObject({ kind: 'stmt', startLine: 3, end: text.length });
  });

  it('reads multi-line PIs', () => {
    const text = '<?\nif a and \\\n   b:\n?>\nyes\n<? :if ?>';
    expect(scanPis(text)[0]).toMatchObject({ kind: 'open', startLine: 1, endLine: 4 });
    expect(foldRanges(text)).toEqual([{ start: 4, end: 5 }]);
  });
});
