/** A commit, a failure's discards and the trace tell a request's changes in one same way. */
import type { NamespaceChange, SavePoint } from '../../common/types/journal.js';
import { isEmptyDiff, keyDiff, namespaceChange } from './diff.js';
import type { HeldSession } from './held-state.js';
import type { SessionResult } from './result.js';
import type { SessionOutcome } from './ticket.js';

/** Diffs of what `s` changes relative to `held`, without committing. */
export function changesOf(held: HeldSession | null, s: SessionResult): NamespaceChange[] {
  const out: NamespaceChange[] = [];
  for (const [name] of s.changed) {
    const before = held?.ns.get(name)?.preview ?? null;
    const after = s.previews[name] ?? null;
    out.push(namespaceChange(name, before, after));
  }
  for (const name of s.deleted) {
    if (s.changed.has(name)) continue;
    const before = held?.ns.get(name)?.preview ?? null;
    if (before) out.push(namespaceChange(name, before, null));
  }
  return out;
}

/**
 * A failed request commits nothing, so the worker sends previews only (no pickles): what it
 * would have changed is told by comparing them with the committed state.
 */
export function discardedChanges(held: HeldSession | null, s: SessionResult): NamespaceChange[] {
  const out: NamespaceChange[] = [];
  for (const [name, after] of Object.entries(s.previews)) {
    const before = held?.ns.get(name)?.preview ?? null;
    const diff = keyDiff(before, after);
    if (!isEmptyDiff(diff)) out.push({ name, before, after, diff });
  }
  for (const name of s.deleted) {
    const before = held?.ns.get(name)?.preview;
    if (before && !(name in s.previews)) out.push(namespaceChange(name, before, null));
  }
  return out;
}

/** A namespace's change over the whole request: before from its first save point, after from its last. */
export function mergeChanges(saves: SavePoint[], final: NamespaceChange[]): NamespaceChange[] {
  const merged = new Map<string, NamespaceChange>();
  for (const c of [...saves.flatMap((s) => s.changes), ...final]) {
    const prev = merged.get(c.name);
    const before = prev ? prev.before : c.before;
    const m = namespaceChange(c.name, before, c.after);
    if (c.version !== undefined) m.version = c.version;
    merged.set(c.name, m);
  }
  return [...merged.values()];
}

/** What became of the request's session, as its trace names it. */
export function outcomeOf(
  dry: boolean,
  ok: boolean,
  changedAtEnd: boolean,
  saved: boolean,
): SessionOutcome {
  return dry
    ? 'preview'
    : !ok
      ? saved
        ? 'partially_committed'
        : 'rolled_back'
      : changedAtEnd || saved
        ? 'committed'
        : 'read_only';
}
