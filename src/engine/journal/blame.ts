/**
 * Provenance of session keys ("blame"): for each key a session holds now, the journaled
 * requests that set or removed it (from each entry's key-level diff, with the value it left)
 * and the template or code-module line of the write where the worker recorded it. The
 * request comes from the diff, so a value changed in place (no assignment to the key) still
 * names its request, only without a line.
 */
import type {
  JournalEntry,
  KeyBlame,
  KeyEvent,
  NamespaceBlame,
} from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';

/** Events kept per key (newest). */
export const KEY_HISTORY_CAP = 50;

/**
 * `history`: the session's entries, oldest first (sessionHistory); `now`: its namespaces as
 * they are now, by name. Keys are listed in the order of their namespace's preview.
 */
export function sessionBlame(
  history: readonly JournalEntry[],
  now: ReadonlyMap<string, PreviewValue>,
): NamespaceBlame[] {
  // namespace → key → events, oldest first
  const events = new Map<string, Map<string, KeyEvent[]>>();
  for (const e of history) {
    for (const c of e.changes) {
      const keys = c.diff.added.length + c.diff.changed.length + c.diff.removed.length;
      if (keys === 0) continue;
      let byKey = events.get(c.name);
      if (!byKey) events.set(c.name, (byKey = new Map()));
      const after = c.after?.t === 'dict' ? new Map(c.after.v) : null;
      const add = (key: string, value: PreviewValue | null): void => {
        const w = e.writes?.find((x) => x.name === c.name && x.key === key);
        const ev: KeyEvent = {
          serial: e.serial,
          time: e.time,
          method: e.method,
          path: e.path,
          outcome: e.outcome,
          value,
          ...(w && value !== null ? { file: w.file, line: w.line } : {}),
        };
        let list = byKey.get(key);
        if (!list) byKey.set(key, (list = []));
        list.push(ev);
      };
      for (const k of c.diff.added) add(k, after?.get(k) ?? null);
      for (const k of c.diff.changed) add(k, after?.get(k) ?? null);
      for (const k of c.diff.removed) add(k, null);
    }
  }
  const out: NamespaceBlame[] = [];
  for (const [name, preview] of now) {
    const byKey = events.get(name);
    const keys: KeyBlame[] = [];
    const names = preview.t === 'dict' ? preview.v.map(([k]) => k) : [];
    for (const key of names) {
      const list = byKey?.get(key) ?? [];
      const newest = list.slice(-KEY_HISTORY_CAP).reverse();
      keys.push({
        key,
        last: newest[0] ?? null,
        history: newest,
        ...(list.length > KEY_HISTORY_CAP ? { historyCapped: true } : {}),
      });
    }
    out.push({ name, keys });
  }
  return out;
}
