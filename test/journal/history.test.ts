/** Time travel: a session's namespaces at a point of its journal, from the changes it recorded. */
import { describe, expect, it } from 'vitest';
import { namespacesAt } from '../../src/engine/journal/history.js';
import type { JournalEntry, NamespaceChange } from '../../src/common/types/journal.js';
import type { PreviewValue } from '../../src/common/types/session.js';

const str = (v: string): PreviewValue => ({ t: 'str', v });

function change(name: string, before: string | null, after: string | null): NamespaceChange {
  return {
    name,
    before: before === null ? null : str(before),
    after: after === null ? null : str(after),
    diff: { added: [], removed: [], changed: [] },
  };
}

function entry(serial: number, changes: NamespaceChange[], kept: string[] = []): JournalEntry {
  return {
    serial,
    time: serial,
    method: 'GET',
    path: '/p.pt',
    query: '',
    status: 200,
    durationMs: 1,
    worker: 1,
    sessionId: 'S'.repeat(43),
    lockWaitMs: 0,
    outcome: 'committed',
    changes,
    saves: [],
    restorable: kept.map((name) => ({ name, before: true, after: true })),
  };
}

// cart: a → b (#1), b → c (#3); prefs: created at #2 (no pickle kept), deleted at #4
const history = [
  entry(1, [change('cart', 'a', 'b')], ['cart']),
  entry(2, [change('prefs', null, 'x')]),
  entry(3, [change('cart', 'b', 'c')], ['cart']),
  entry(4, [change('prefs', 'x', null)], ['prefs']),
];

describe('namespacesAt', () => {
  it('gives each namespace as the last change at or before the point left it', () => {
    const at = namespacesAt(history, 3, 'after');
    expect(at.get('cart')).toEqual({
      preview: str('c'),
      from: { serial: 3, phase: 'after' },
      unchanged: false,
    });
    expect(at.get('prefs')?.preview).toEqual(str('x'));
  });

  it("'before' an entry leaves out that entry's own changes", () => {
    const at = namespacesAt(history, 3, 'before');
    expect(at.get('cart')).toEqual({
      preview: str('b'),
      from: { serial: 1, phase: 'after' },
      unchanged: false,
    });
  });

  it('before any change, a namespace is as the first change after the point found it', () => {
    const at = namespacesAt(history, 1, 'before');
    expect(at.get('cart')).toEqual({
      preview: str('a'),
      from: { serial: 1, phase: 'before' },
      unchanged: false,
    });
    // prefs did not exist before #2
    expect(at.get('prefs')?.preview).toBeNull();
  });

  it('takes the exact record after the point when the one before it was not kept', () => {
    const at = namespacesAt(history, 2, 'after');
    expect(at.get('prefs')).toEqual({
      preview: str('x'),
      from: { serial: 4, phase: 'before' },
      unchanged: false,
    });
  });
});
