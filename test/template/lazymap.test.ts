/**
 * The result's `map` and `cols` are built when first read: to every reader they must behave as
 * the plain arrays they were (spread, JSON, structured clone, assignment), and agree with the
 * map constant embedded in the module.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate, mapEntries } from '../../src/engine/template/index.js';
import { linemapConstant } from '../../src/engine/template/linemap.js';
import { bigTemplate, BIG_TAGS } from './helpers/big.js';

function compiled(source: string) {
  const r = compileTemplate(source, { file: 'page.pt', tags: BIG_TAGS });
  if (!r.ok) throw new Error(r.errors.map((e) => e.format()).join('\n'));
  return r;
}

describe('the lazily built map and cols', () => {
  const source = bigTemplate(4000);

  it('are the arrays of the embedded constant, one col per entry, the same on every read', () => {
    const r = compiled(source);
    const lastLine = r.py.trimEnd().split('\n').at(-1)!;
    expect(linemapConstant(r.map)).toBe(lastLine);
    expect(r.cols).toHaveLength(r.map.length);
    expect(r.cols.every((c) => Number.isInteger(c) && c >= 1)).toBe(true);
    expect(r.map).toBe(r.map);
    expect(r.cols).toBe(r.cols);
  });

  it('are seen by keys, spread, JSON and structured clone, in the order ok, py, map, cols', () => {
    const r = compiled(source);
    expect(Object.keys(r)).toEqual(['ok', 'py', 'map', 'cols']);
    const spread = { ...r };
    expect(Object.getOwnPropertyDescriptor(spread, 'map')!.value).toEqual(r.map);
    const json = JSON.parse(JSON.stringify(r)) as typeof r;
    expect(json.map).toEqual(r.map);
    expect(json.cols).toEqual(r.cols);
    const clone = structuredClone(r);
    expect(clone.map).toEqual(r.map);
    expect(clone.cols).toEqual(r.cols);
  });

  it('travel to the workers as the text of the constant, which holds the same entries', () => {
    const r = compiled(source);
    const lastLine = r.py.trimEnd().split('\n').at(-1)!;
    expect(`__pse_linemap__ = ${r.mapText}`).toBe(lastLine);
    expect(mapEntries(r.mapText)).toEqual(r.map);
    expect(Object.keys(r)).not.toContain('mapText');
    const one = compiled('hi');
    expect(one.mapText).toBe('((2,1,1),)');
    expect(mapEntries(one.mapText)).toEqual([[2, 1, 1]]);
    expect(mapEntries(compiled('').mapText)).toEqual([]);
  });

  it('can be replaced by assignment', () => {
    const r = compiled('<p>hi</p>');
    r.map = [[9, 9, 9]];
    r.cols = [5];
    expect(r.map).toEqual([[9, 9, 9]]);
    expect(r.cols).toEqual([5]);
  });

  it('stay those of their own compile when others follow (the output buffer is reused)', () => {
    const a = compiled(source);
    const aPy = a.py;
    const b = compiled('<? x = 1 ?>\n<p><?= x ?></p>\n');
    expect(a.py).toBe(aPy);
    expect(linemapConstant(a.map)).toBe(a.py.trimEnd().split('\n').at(-1)!);
    expect(linemapConstant(b.map)).toBe(b.py.trimEnd().split('\n').at(-1)!);
    expect(b.map.length).toBeLessThan(a.map.length);
  });
});
