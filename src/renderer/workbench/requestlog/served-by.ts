/** How the request log names the engine process that served a request (on a cluster, one of many). */
import type { JournalEntry, ServedBy } from '../../../common/types/journal.js';

/** Short, for the column: `i2·4711` (instance 2, pid 4711) or `4711` for a lone process. */
export function servedByShort(s: ServedBy | undefined): string {
  if (!s) return '—';
  return s.instance > 0 ? `i${s.instance}·${s.pid}` : String(s.pid);
}

/** In full, for the detail and the column's tooltip. */
export function servedByText(s: ServedBy | undefined): string {
  if (!s) return 'not recorded';
  return `${s.host}, pid ${s.pid}${s.instance > 0 ? `, instance ${s.instance}` : ''}`;
}

/** Whether the entries come from more than one process (then the log names each one's). */
export function servedByMany(entries: readonly JournalEntry[]): boolean {
  let first: string | undefined;
  for (const e of entries) {
    const s = e.servedBy;
    if (!s) continue;
    const key = `${s.host} ${s.pid}`;
    first ??= key;
    if (key !== first) return true;
  }
  return false;
}
