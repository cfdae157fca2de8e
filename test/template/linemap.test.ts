/** The line map: exact by construction, embedded in the module, and used by Python's tracebacks. */
import { describe, expect, it } from 'vitest';
import { compileTemplate, templateLineFor } from '../../src/engine/template/index.js';
import type { LineMapEntry } from '../../src/engine/template/linemap.js';
import { runTemplates } from './helpers/python.js';

function compiled(source: string): { py: string; map: LineMapEntry[] } {
  const r = compileTemplate(source, { file: 'page.pt' });
  if (!r.ok) throw new Error(r.errors.map((e) => e.format()).join('\n'));
  return r;
}

describe('templateLineFor', () => {
  const map: LineMapEntry[] = [
    [2, 1, 1],
    [3, 1, 7],
    [6, 4, 3],
  ];
  it('takes the last entry at or before the line', () => {
    expect(templateLineFor(map, 1)).toBeUndefined();
    expect(templateLineFor(map, 2)).toEqual({ line: 1, col: 1 });
    expect(templateLineFor(map, 3)).toEqual({ line: 1, col: 7 });
    expect(templateLineFor(map, 5)).toEqual({ line: 1, col: 7 });
    expect(templateLineFor(map, 6)).toEqual({ line: 4, col: 3 });
    expect(templateLineFor(map, 600)).toEqual({ line: 4, col: 3 });
    expect(templateLineFor([], 3)).toBeUndefined();
  });
});

describe('the generated map', () => {
  it('names the template line and column of every generated statement', () => {
    const { py, map } = compiled(
      '<p>\n<? if x: ?>\n  <?= x ?>\n<? :else: ?>\n  <?\n    y = 1\n    z = 2\n  ?>\n<? : ?>',
    );
    const lines = py.split('\n');
    const at = (needle: string): { line: number; col: number } | undefined =>
      templateLineFor(map, lines.findIndex((l) => l.includes(needle)) + 1);
    expect(at('if x:')).toEqual({ line: 2, col: 4 });
    expect(at('__pse_str__((x))')).toEqual({ line: 3, col: 7 });
    expect(at('else:')).toEqual({ line: 4, col: 5 });
    expect(at('y = 1')).toEqual({ line: 6, col: 5 });
    expect(at('z = 2')).toEqual({ line: 7, col: 5 });
  });

  it('is embedded as __pse_linemap__, equal to the returned map', async () => {
    const { py, map } = compiled('a\n<? b = 1 ?>\n<?= b ?>');
    const [r] = await runTemplates([
      { name: 'm', py: py + '__pse_out__(repr(__pse_linemap__))\n' },
    ]);
    expect(r!.out).toContain(
      JSON.stringify(map).replace(/\[/g, '(').replace(/\]/g, ')').replace(/,/g, ', '),
    );
  });

  it('maps a runtime error in a template back to its line', async () => {
    const source = 'line 1\n<? for i in range(3): ?>\n  <?= 10 // (1 - i) ?>\n<? : ?>';
    const { py, map } = compiled(source);
    const [r] = await runTemplates([{ name: 'page.pt', py }]);
    expect(r!.error?.type).toBe('ZeroDivisionError');
    expect(templateLineFor(map, r!.error!.line)).toEqual({ line: 3, col: 7 });
  });
});
