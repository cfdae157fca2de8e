/**
 * Compile time grows linearly with the template: 8× the input may cost 8× the time, never 64×.
 * Times are compared with each other (best of several runs), never with a fixed limit.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/engine/template/index.js';
import { bigTemplate, BIG_TAGS, PATHOLOGICAL } from './helpers/big.js';

function bestTime(source: string, runs = 5): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    compileTemplate(source, { file: 'big.pt', tags: BIG_TAGS });
    best = Math.min(best, Number(process.hrtime.bigint() - t0));
  }
  return best;
}

/** Quadratic growth would give 64; allow noise and GC up to 24. */
const MAX_RATIO = 24;

describe('linear time', () => {
  it('a template with every construct: 8× the size, at most ~8× the time', () => {
    const small = bigTemplate(48 * 1024);
    const large = bigTemplate(8 * 48 * 1024);
    const ok = compileTemplate(large, { file: 'big.pt', tags: BIG_TAGS });
    expect(ok.ok).toBe(true);
    bestTime(small, 3); // warm the JIT
    const ratio = bestTime(large) / bestTime(small);
    expect(ratio).toBeLessThan(MAX_RATIO);
  });

  it.each(Object.entries(PATHOLOGICAL))('%s', (_name, unit) => {
    const small = unit.repeat(Math.ceil((16 * 1024) / unit.length));
    const large = unit.repeat(Math.ceil((8 * 16 * 1024) / unit.length));
    bestTime(small, 2);
    const ratio = bestTime(large, 3) / bestTime(small, 3);
    expect(ratio).toBeLessThan(MAX_RATIO);
  });
});
