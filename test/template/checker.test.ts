/** The syntax-checker process: answers in order, survives bad code, reports its own failures. */
import { describe, expect, it } from 'vitest';
import { startSyntaxChecker } from '../../src/engine/template/index.js';
import { python } from './helpers/python.js';

describe('startSyntaxChecker', () => {
  it('answers concurrent requests, each with its own errors', async () => {
    const checker = startSyntaxChecker(await python());
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

  it('rejects with the reason when the interpreter cannot run', async () => {
    const checker = startSyntaxChecker('/nonexistent/python3');
    await expect(checker.check([{ name: 'x', code: '' }])).rejects.toThrow(
      /cannot run \/nonexistent\/python3/,
    );
    await checker.close();
  });

  it('close() is idempotent and later checks fail clearly', async () => {
    const checker = startSyntaxChecker(await python());
    await checker.close();
    await checker.close();
    await expect(checker.check([{ name: 'x', code: '' }])).rejects.toThrow(/exited/);
  });
});
