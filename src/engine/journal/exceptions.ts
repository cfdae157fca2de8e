/**
 * The journal's failures grouped by exception type and raising line: how often, first and last
 * seen, and which requests. Read from the entries' rollback causes, so it costs the request path
 * nothing; it covers what the (capped) journal still keeps.
 */
import { GROUP_SERIALS, type ExceptionGroup } from '../../common/types/exceptions.js';
import type { JournalEntry } from '../../common/types/journal.js';
import type { RequestJournal } from './journal.js';

/** Entries read at most (the journal is capped anyway). */
const READ_MAX = 20_000;
const PAGE = 1000;

/** Groups entries (newest first, as the journal lists them) by cause; latest group first. */
export function groupExceptions(entries: Iterable<JournalEntry>): ExceptionGroup[] {
  const groups = new Map<string, ExceptionGroup>();
  for (const e of entries) {
    const c = e.cause;
    if (!c) continue;
    const type = c.kind === 'exception' ? (c.type ?? 'Exception') : c.kind;
    const key = JSON.stringify([c.kind, type, c.file ?? null, c.line ?? null]);
    const g = groups.get(key);
    if (!g) {
      groups.set(key, {
        kind: c.kind,
        type,
        ...(c.file !== undefined ? { file: c.file } : {}),
        ...(c.line !== undefined ? { line: c.line } : {}),
        ...(c.col !== undefined ? { col: c.col } : {}),
        ...(c.source !== undefined ? { source: c.source } : {}),
        message: c.message,
        count: 1,
        firstSeen: e.time,
        lastSeen: e.time,
        latest: e.serial,
        serials: [e.serial],
      });
      continue;
    }
    g.count++;
    if (e.serial > g.latest) {
      g.latest = e.serial;
      g.message = c.message;
    }
    g.firstSeen = Math.min(g.firstSeen, e.time);
    g.lastSeen = Math.max(g.lastSeen, e.time);
    if (g.serials.length < GROUP_SERIALS) g.serials.push(e.serial);
  }
  for (const g of groups.values()) g.serials.sort((a, b) => b - a);
  return [...groups.values()].sort((a, b) => b.lastSeen - a.lastSeen || b.latest - a.latest);
}

/** The groups of everything the journal keeps (newest READ_MAX entries). */
export async function journalExceptions(journal: RequestJournal): Promise<ExceptionGroup[]> {
  const entries: JournalEntry[] = [];
  let before: number | undefined;
  while (entries.length < READ_MAX) {
    const page = await journal.list({ limit: PAGE, ...(before !== undefined ? { before } : {}) });
    if (page.length === 0) break;
    entries.push(...page);
    before = page.at(-1)!.serial;
  }
  return groupExceptions(entries);
}
