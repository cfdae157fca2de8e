/** How the request log names the engine process that served a request (on a cluster, one of many). */
import type { ServedBy } from '../../../common/types/journal.js';

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
