/**
 * The inspector's pure parts: Python literals made from previews (checked by CPython itself,
 * through ast.literal_eval), pending-change bookkeeping, the conflict view's three values.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NamespaceChange } from '../../src/common/types/journal.js';
import type { PreviewValue } from '../../src/common/types/session.js';
import { pyString } from '../../src/common/python-literal.js';
import {
  keyLiteral,
  toLiteral,
  typeLabel,
} from '../../src/renderer/workbench/inspector/literal.js';
import {
  conflictViews,
  describeOp,
  drop,
  put,
  toEdits,
  withOp,
} from '../../src/renderer/workbench/inspector/pending.js';

/** Evaluates each literal with ast.literal_eval in one CPython process; returns repr()s. */
function literalEval(literals: string[]): string[] {
  const script =
    'import ast, json, sys\nprint(json.dumps([repr(ast.literal_eval(s)) for s in json.load(sys.stdin)]))';
  return JSON.parse(
    execFileSync('python3', ['-c', script], { input: JSON.stringify(literals), encoding: 'utf8' }),
  ) as string[];
}

const noChange: NamespaceChange = {
  name: '',
  before: null,
  after: null,
  diff: { added: [], removed: [], changed: [] },
};

const STRINGS = fc
  .sample(fc.string({ unit: 'binary', maxLength: 20 }), 60)
  .concat(["it's", 'back\\slash', 'line\nbreak', '\u0000\u007f']);
const CONTAINER: PreviewValue = {
  t: 'dict',
  v: [
    ['name', { t: 'str', v: 'Ann' }],
    ['tags', { t: 'list', v: [{ t: 'int', v: '1' }, { t: 'none' }, { t: 'bool', v: true }] }],
    ['pos', { t: 'tuple', v: [{ t: 'float', v: 1 }] }],
    ['empty', { t: 'set', v: [] }],
  ],
};

describe('literals from previews', () => {
  // One CPython start for the whole file: ours quoted, JSON quoted (Python reads both), the dict.
  let evaluated: string[] = [];
  beforeAll(() => {
    evaluated = literalEval([
      ...STRINGS.map(pyString),
      ...STRINGS.map((x) => JSON.stringify(x)),
      toLiteral(CONTAINER)!,
    ]);
  });

  it('quotes any string so that Python reads it back unchanged', () => {
    expect(evaluated.slice(0, STRINGS.length)).toEqual(
      evaluated.slice(STRINGS.length, 2 * STRINGS.length),
    );
  });

  it('writes containers Python evaluates to the previewed value', () => {
    expect(evaluated.at(-1)).toBe(
      "{'name': 'Ann', 'tags': [1, None, True], 'pos': (1.0,), 'empty': set()}",
    );
  });

  it('refuses to make a literal of a value the preview cut short', () => {
    expect(toLiteral({ t: 'str', v: 'abc', more: 10 })).toBeNull();
    expect(toLiteral({ t: 'list', v: [{ t: 'int', v: '1' }], more: 3 })).toBeNull();
    expect(
      toLiteral({ t: 'dict', v: [['o', { t: 'object', type: 'Cart', repr: '<Cart>' }]] }),
    ).toBeNull();
    expect(keyLiteral('name')).toBe("'name'");
    expect(typeLabel({ t: 'dict', v: [], more: 4 })).toBe('dict · 4');
  });
});

describe('pending changes', () => {
  it('appends ops per namespace, keeps the first base version, and a restore replaces earlier ops', () => {
    let p = put([], withOp([], '', 3, { op: 'set', key: "'a'", value: '1' }), noChange);
    const second = withOp(p, '', 7, { op: 'delete', key: "'b'" });
    expect(second).toEqual({
      namespace: '',
      baseVersion: 3,
      ops: [
        { op: 'set', key: "'a'", value: '1' },
        { op: 'delete', key: "'b'" },
      ],
    });
    p = put(p, second, noChange);
    expect(p).toHaveLength(1);
    expect(withOp(p, '', 3, { op: 'restore', serial: 4, phase: 'after' }).ops).toEqual([
      { op: 'restore', serial: 4, phase: 'after' },
    ]);
    p = put(p, withOp(p, 'cart', 0, { op: 'clear' }), noChange);
    expect(toEdits(p).map((e) => e.namespace)).toEqual(['', 'cart']);
    expect(drop(p, '').map((n) => n.namespace)).toEqual(['cart']);
    expect(describeOp({ op: 'restore', serial: 4, phase: 'before' })).toBe('restore as before #4');
  });

  it('shows a conflict with the value it was based on, the server value, and yours', () => {
    const change: NamespaceChange = {
      name: '',
      before: { t: 'dict', v: [['n', { t: 'int', v: '1' }]] },
      after: { t: 'dict', v: [['n', { t: 'int', v: '9' }]] },
      diff: { added: [], removed: [], changed: ['n'] },
    };
    const p = put(
      [],
      { namespace: '', baseVersion: 2, ops: [{ op: 'set', key: "'n'", value: '9' }] },
      change,
    );
    const server: PreviewValue = { t: 'dict', v: [['n', { t: 'int', v: '2' }]] };
    expect(conflictViews(p, [{ namespace: '', baseVersion: 2, serverVersion: 3, server }])).toEqual(
      [{ namespace: '', base: change.before, server, yours: change.after, serverVersion: 3 }],
    );
  });
});
