/** The syntax check of generated code by a worker: answers in order, survives bad code, fails clearly once stopped. */
import { describe, expect, it } from 'vitest';
import { startChecker } from '../template/helpers/python.js';

describe('WorkerPool.check', () => {
  it('answers concurrent requests, each with its own errors', async () => {
    const checker = await startChecker();
    try {
      const [a, b, c] = await Promise.all([
        checker.check([{ name: 'a', code: 'x = 1\n' }]),
        checker.check([
          { name: 'b1', code: 'def f(:\n' },
          { name: 'b2', code: 'y = 2\n' },
        ]),
        checker.check([{ name: 'c', code: 'x = "\u00e9\ud800"\n\0' }]),
      ]);
      expect(a).toEqual([]);
      expect(b).toEqual([{ name: 'b1', line: 1, col: 7, message: 'invalid syntax' }]);
      expect(c).toHaveLength(1);
      expect(c[0]!.name).toBe('c');
    } finally {
      await checker.close();
    }
  });

  it('close() is idempotent and later checks fail clearly', async () => {
    const checker = await startChecker();
    await checker.close();
    await checker.close();
    await expect(checker.check([{ name: 'x', code: '' }])).rejects.toThrow(/stopped/);
  });
});
