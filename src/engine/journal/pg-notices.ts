/**
 * What the journal's writers tell the processes that follow the cluster (Studio) after each write
 * batch: one NOTIFY per batch, or several when a long batch would not fit one payload.
 */
import type { SessionChangedEvent } from '../session/events.js';

/** NOTIFY payloads stay under PostgreSQL's 8000 bytes */
const NOTIFY_MAX = 7000;

/** What one NOTIFY says: who wrote, which serials, which sessions changed. */
export interface JournalNotice {
  /** the writing journal (its own notices are not news to it) */
  w: string;
  s: number[];
  c: SessionChangedEvent[];
}

/** The NOTIFY payloads of one batch (several when it is long), each under NOTIFY_MAX bytes. */
export function notices(
  writer: string,
  serials: number[],
  changes: SessionChangedEvent[],
): string[] {
  if (serials.length === 0 && changes.length === 0) return [];
  const out: string[] = [];
  let cur: JournalNotice = { w: writer, s: [], c: [] };
  const size = (n: JournalNotice): number => Buffer.byteLength(JSON.stringify(n));
  const push = (): void => {
    if (cur.s.length || cur.c.length) out.push(JSON.stringify(cur));
    cur = { w: writer, s: [], c: [] };
  };
  // An item that makes the payload too long starts the next one.
  const add = <K extends 's' | 'c'>(key: K, item: JournalNotice[K][number]): void => {
    (cur[key] as unknown[]).push(item);
    if (size(cur) <= NOTIFY_MAX) return;
    cur[key].pop();
    push();
    (cur[key] as unknown[]).push(item);
  };
  for (const s of serials) add('s', s);
  for (const c of changes) add('c', c);
  push();
  return out;
}
