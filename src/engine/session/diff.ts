/**
 * Key-level diff of two namespace previews (top-level keys of the dictionaries, by their
 * preview text). Values beyond the preview caps are not compared: the journal shows what a
 * person can read, and the pickles it keeps are the exact record.
 */
import type { KeyDiff, NamespaceChange } from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';

/** Name used for a namespace that is not a dict (the whole value is one "key"). */
const WHOLE = '*';

export function keyDiff(before: PreviewValue | null, after: PreviewValue | null): KeyDiff {
  const a = entries(before);
  const b = entries(after);
  const diff: KeyDiff = { added: [], removed: [], changed: [] };
  for (const [k, v] of b) {
    const old = a.get(k);
    if (old === undefined) diff.added.push(k);
    else if (old !== v) diff.changed.push(k);
  }
  for (const k of a.keys()) if (!b.has(k)) diff.removed.push(k);
  return diff;
}

export function isEmptyDiff(d: KeyDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

function entries(p: PreviewValue | null): Map<string, string> {
  const m = new Map<string, string>();
  if (!p) return m;
  if (p.t === 'dict') for (const [k, v] of p.v) m.set(k, JSON.stringify(v));
  else m.set(WHOLE, JSON.stringify(p));
  return m;
}

/** A namespace's change from `before` to `after` (null: it did not exist), with its key diff. */
export function namespaceChange(
  name: string,
  before: PreviewValue | null,
  after: PreviewValue | null,
): NamespaceChange {
  return { name, before, after, diff: keyDiff(before, after) };
}
