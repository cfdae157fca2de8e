/** Watches' pure part: which changes of a finished request a watch on a session, namespace or key sees. */
import { describe, expect, it } from 'vitest';
import type { JournalEntry, NamespaceChange } from '../../src/common/types/journal.js';
import { watchHit, watchLabel } from '../../src/renderer/workbench/watches/watches.js';

const str = (v: string) => ({ t: 'str' as const, v });
const change = (
  name: string,
  diff: Partial<NamespaceChange['diff']>,
  gone = false,
): NamespaceChange => ({
  name,
  before: { t: 'dict', v: [] },
  after: gone ? null : { t: 'dict', v: [['name', str('Bob')]] },
  diff: { added: [], removed: [], changed: [], ...diff },
});
const entry = (changes: NamespaceChange[], sessionId = 'S1'): JournalEntry => ({
  serial: 9,
  time: 1,
  method: 'GET',
  path: '/p.pt',
  query: '',
  status: 200,
  durationMs: 1,
  worker: 1,
  sessionId,
  lockWaitMs: 0,
  outcome: 'committed',
  changes,
  saves: [],
  restorable: [],
});

describe('watchHit', () => {
  const e = entry([
    change('', { changed: ['name'], added: ['age'] }),
    change('cart', { removed: ['items'] }),
  ]);

  it('sees every change of a watched session', () => {
    expect(watchHit({ sessionId: 'S1' }, e)?.changes).toEqual([
      "'' age added",
      "'' name changed",
      'cart items removed',
    ]);
    expect(watchHit({ sessionId: 'S2' }, e)).toBeNull();
  });

  it('narrows to a namespace, and to one key', () => {
    expect(watchHit({ sessionId: 'S1', namespace: 'cart' }, e)?.changes).toEqual([
      'cart items removed',
    ]);
    expect(watchHit({ sessionId: 'S1', namespace: '', key: 'name' }, e)).toMatchObject({
      serial: 9,
      method: 'GET',
      path: '/p.pt',
      changes: ["'' name changed"],
    });
    expect(watchHit({ sessionId: 'S1', namespace: '', key: 'zip' }, e)).toBeNull();
    expect(watchHit({ sessionId: 'S1', namespace: 'other' }, e)).toBeNull();
  });

  it('reports a deleted namespace, and ignores dry runs', () => {
    expect(
      watchHit({ sessionId: 'S1', namespace: 'cart' }, entry([change('cart', {}, true)]))?.changes,
    ).toEqual(['cart deleted']);
    expect(watchHit({ sessionId: 'S1' }, { ...e, outcome: 'preview' })).toBeNull();
    expect(watchLabel({ sessionId: 'abcdefghijk', namespace: '', key: 'name' })).toBe(
      "abcdefgh › '' › name",
    );
  });
});
