/** One line per request, in a fixed, greppable form. */
import type { RequestRecord } from '../http/types.js';

export function formatAccess(r: RequestRecord): string {
  const worker = r.worker === undefined ? '-' : `w${r.worker}`;
  const bytes = r.bytes === undefined ? '-' : String(r.bytes);
  return `${r.time} ${r.remote} "${r.method} ${r.url}" ${r.status} ${bytes} ${r.durationMs.toFixed(1)}ms ${worker} ${r.kind}`;
}

export function formatError(r: RequestRecord): string {
  return `${r.time} ${r.remote} "${r.method} ${r.url}" ${r.status} ${r.worker === undefined ? '-' : `w${r.worker}`}: ${r.error ?? ''}`;
}
