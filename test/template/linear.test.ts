/**
 * Compile time grows linearly with the template. Times are compared with each other, never
 * with a fixed limit: CPU time of this process (immune to other processes on a busy machine),
 * best of several runs. Linear code gives a ratio near the size ratio (plus garbage-collection
 * noise); a quadratic path gives its square.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/engine/template/index.js';
import { bigTemplate, BIG_TAGS, PATHOLOGICAL } from './helpers/big.js';

function cpuBest(source: string, runs: number): number {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.cpuUsage();
    compileTemplate(source, { file: 'big.pt', tags: BIG_TAGS });
    const d = process.cpuUsage(t0);
    best = Math.min(best, d.user + d.system);
  }
  return best;
}

/** A flat copy: `repeat` builds a rope, which real file contents never are. */
const flat = (s: string): string => Buffer.from(s).toString();

describe('linear time', () => {
  it('a template with every construct: 8× the size costs about 8× (quadratic: 64×)', () => {
    const small = flat(bigTemplate(48 * 1024));
    const large = flat(bigTemplate(8 * 48 * 1024));
    expect(compileTemplate(large, { file: 'big.pt', tags: BIG_TAGS }).ok).toBe(true);
    cpuBest(small, 3); // warm the JIT
    expect(cpuBest(large, 5) / cpuBest(small, 5)).toBeLessThan(24);
  });

  // Inputs that make a naive scanner retry from every `<`: 16× the size must not cost 256×.
  it.each(Object.entries(PATHOLOGICAL))('%s', (_name, unit) => {
    const small = flat(unit.repeat(Math.ceil((16 * 1024) / unit.length)));
    const large = flat(unit.repeat(Math.ceil((16 * 16 * 1024) / unit.length)));
    cpuBest(small, 3);
    expect(cpuBest(large, 5) / cpuBest(small, 7)).toBeLessThan(96);
  });
});
