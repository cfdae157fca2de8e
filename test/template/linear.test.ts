/**
 * Compile time grows linearly with the template. Times are compared with each other, never
 * with a fixed limit: CPU time of this process (immune to other processes on a busy machine),
 * best of several runs. Linear code gives a ratio near the size ratio (plus garbage-collection
 * noise); a quadratic path gives its square.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/engine/template/index.js';
import { bigTemplate, BIG_TAGS, PATHOLOGICAL } from './helpers/big.js';

function cpuTime(source: string): number {
  const t0 = process.cpuUsage();
  compileTemplate(source, { file: 'big.pt', tags: BIG_TAGS });
  const d = process.cpuUsage(t0);
  return d.user + d.system;
}

/**
 * Time of one compile of `large` divided by `times` compiles of `small` (so both measure the
 * same amount of input and last long enough to time): about 1 when linear, `times` when
 * quadratic. Best of `runs` rounds, interleaved so that both see the same conditions.
 */
function ratio(small: string, large: string, times: number, runs: number): number {
  cpuTime(small); // warm the JIT
  let a = Infinity;
  let b = Infinity;
  for (let r = 0; r < runs; r++) {
    let t = 0;
    for (let k = 0; k < times; k++) t += cpuTime(small);
    a = Math.min(a, t);
    b = Math.min(b, cpuTime(large));
  }
  return b / a;
}

/** A flat copy: `repeat` builds a rope, which real file contents never are. */
const flat = (s: string): string => Buffer.from(s).toString();

describe('linear time', () => {
  it('a template with every construct: 8× the size costs about 8× (quadratic: 64×), not 24×', () => {
    const small = flat(bigTemplate(48 * 1024));
    const large = flat(bigTemplate(8 * 48 * 1024));
    expect(compileTemplate(large, { file: 'big.pt', tags: BIG_TAGS }).ok).toBe(true);
    expect(ratio(small, large, 8, 4)).toBeLessThan(3);
  });

  // Inputs that make a naive scanner retry from every `<`: 16× the size must cost well under 96×.
  it.each(Object.entries(PATHOLOGICAL))('%s', (_name, unit) => {
    const small = flat(unit.repeat(Math.ceil((16 * 1024) / unit.length)));
    const large = flat(unit.repeat(Math.ceil((16 * 16 * 1024) / unit.length)));
    expect(ratio(small, large, 16, 4)).toBeLessThan(6);
  });
});
