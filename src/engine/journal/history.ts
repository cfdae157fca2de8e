/**
 * Time travel: a session's state at a point of its journal, rebuilt from the changes each entry
 * recorded. A namespace stood at a point as the last change before it left it, or else as the
 * first change after it found it, or else as it is now. Where an entry kept the namespace's
 * pickle at that point, the state can be restored (and run against) exactly.
 */
import type { JournalEntry } from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';
import type { PicklePhase, RequestJournal } from './journal.js';

/** Journal entries read at most to rebuild a session's past (the journal is capped anyway). */
const HISTORY_MAX = 20_000;
const PAGE = 1000;

/** The session's requests and edits, oldest first (dry runs committed nothing: left out). */
export async function sessionHistory(journal: RequestJournal, id: string): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  let before: number | undefined;
  while (out.length < HISTORY_MAX) {
    const batch = await journal.list({
      sessionId: id,
      limit: PAGE,
      ...(before !== undefined ? { before } : {}),
    });
    if (batch.length === 0) break;
    out.push(...batch);
    before = batch.at(-1)!.serial;
  }
  return out.filter((e) => e.outcome !== 'preview').reverse();
}

/** A namespace at a point of the session's history. */
export interface PastNamespace {
  /** null: the namespace did not exist then */
  preview: PreviewValue | null;
  /** the journal's record of it (a pickle, or that there was none); null: none kept */
  from: { serial: number; phase: PicklePhase } | null;
  unchanged: boolean;
}

/**
 * Each namespace the history changed, as it stood at `serial`: `phase` 'after' that entry (its
 * own changes made) or 'before' it. A namespace no entry changed is as it is now: not listed.
 */
export function namespacesAt(
  history: readonly JournalEntry[],
  serial: number,
  phase: PicklePhase,
): Map<string, PastNamespace> {
  const names = new Set<string>();
  for (const e of history) for (const c of e.changes) names.add(c.name);
  const isBefore = (e: JournalEntry): boolean =>
    e.serial < serial || (e.serial === serial && phase === 'after');
  const out = new Map<string, PastNamespace>();
  for (const name of names) {
    // the change nearest before the point (its 'after'), then the first after it (its 'before')
    let last: PastNamespace | null = null;
    let next: PastNamespace | null = null;
    for (const e of history) {
      const c = e.changes.find((x) => x.name === name);
      if (!c) continue;
      const kept = e.restorable.some((r) => r.name === name);
      if (isBefore(e)) {
        last = {
          preview: c.after,
          from: kept ? { serial: e.serial, phase: 'after' } : null,
          unchanged: false,
        };
      } else {
        next = {
          preview: c.before,
          from: kept ? { serial: e.serial, phase: 'before' } : null,
          unchanged: false,
        };
        break;
      }
    }
    // Both say the same where the journal is whole; the one whose record is kept is exact.
    const found = last?.from || !next?.from ? (last ?? next) : next;
    if (found) out.set(name, found);
  }
  return out;
}
