/** "Copy as curl": a journal entry as a shell command that sends the same request again. */
import type { JournalEntry } from '../../../common/types/journal.js';

/** Headers curl sets itself (or that would be wrong when sent again). */
const SKIP = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'x-pse-replay']);

/** POSIX shell quoting: one single-quoted word. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function curlCommand(e: JournalEntry, origin: string): string {
  const url = origin.replace(/\/$/, '') + e.path + (e.query ? `?${e.query}` : '');
  const parts = ['curl'];
  if (e.method !== 'GET' && !(e.method === 'POST' && e.request?.body !== undefined))
    parts.push('-X', e.method);
  parts.push(shellQuote(url));
  for (const [k, v] of e.request?.headers ?? []) {
    if (SKIP.has(k.toLowerCase())) continue;
    parts.push('-H', shellQuote(`${k}: ${v}`));
  }
  if (e.request?.body !== undefined) parts.push('--data-raw', shellQuote(e.request.body));
  return parts.join(' ');
}
