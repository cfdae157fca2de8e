/**
 * Watches: a session, one of its namespaces, or one key, and what a finished request changed of
 * them. Kept in localStorage (they outlive a reload of Studio); every mounted view follows the
 * same list through subscribe().
 */
import type { JournalEntry } from '../../../common/api-inspector.js';

export interface Watch {
  sessionId: string;
  /** absent: every namespace of the session */
  namespace?: string;
  /** absent: every key of the namespace (a key as the inspector shows it) */
  key?: string;
}

export interface WatchHit {
  watch: Watch;
  serial: number;
  time: number;
  method: string;
  path: string;
  /** what changed, one line each, e.g. `'' name changed` */
  changes: string[];
}

const STORAGE = 'pse.studio.watches';

export function watchLabel(w: Watch): string {
  const ns = w.namespace === undefined ? '' : ` › ${w.namespace === '' ? "''" : w.namespace}`;
  const key = w.key === undefined ? '' : ` › ${w.key}`;
  return `${w.sessionId.slice(0, 8)}${ns}${key}`;
}

export function sameWatch(a: Watch, b: Watch): boolean {
  return a.sessionId === b.sessionId && a.namespace === b.namespace && a.key === b.key;
}

/** What `e` changed of what `w` watches; null when nothing (or another session). */
export function watchHit(w: Watch, e: JournalEntry): WatchHit | null {
  if (e.sessionId !== w.sessionId || e.outcome === 'preview') return null;
  const changes: string[] = [];
  for (const c of e.changes) {
    if (w.namespace !== undefined && c.name !== w.namespace) continue;
    const ns = c.name === '' ? "''" : c.name;
    if (c.before === null && w.key === undefined) changes.push(`${ns} created`);
    if (c.after === null && w.key === undefined) {
      changes.push(`${ns} deleted`);
      continue;
    }
    const kinds: [string[], string][] = [
      [c.diff.added, 'added'],
      [c.diff.changed, 'changed'],
      [c.diff.removed, 'removed'],
    ];
    for (const [keys, what] of kinds)
      for (const k of keys)
        if (w.key === undefined || k === w.key) changes.push(`${ns} ${k} ${what}`);
  }
  if (changes.length === 0) return null;
  return { watch: w, serial: e.serial, time: e.time, method: e.method, path: e.path, changes };
}

type Listener = (watches: Watch[]) => void;
const listeners = new Set<Listener>();
const HITS_KEPT = 100;
let hits: WatchHit[] = [];
const hitListeners = new Set<(hits: WatchHit[]) => void>();

/** The latest changes to watched items, newest first (the notifier records them). */
export function recentHits(): WatchHit[] {
  return hits;
}

export function recordHits(found: WatchHit[]): void {
  if (found.length === 0) return;
  hits = [...found, ...hits].slice(0, HITS_KEPT);
  for (const l of [...hitListeners]) l(hits);
}

export function subscribeHits(l: (hits: WatchHit[]) => void): () => void {
  hitListeners.add(l);
  return () => hitListeners.delete(l);
}

export function loadWatches(): Watch[] {
  try {
    const raw = JSON.parse(globalThis.localStorage?.getItem(STORAGE) ?? '[]') as unknown;
    return Array.isArray(raw)
      ? raw.filter((w): w is Watch => typeof (w as Watch)?.sessionId === 'string')
      : [];
  } catch {
    return [];
  }
}

export function saveWatches(watches: Watch[]): void {
  try {
    globalThis.localStorage?.setItem(STORAGE, JSON.stringify(watches));
  } catch {
    // storage full or denied: the watches still hold for this window
  }
  for (const l of [...listeners]) l(watches);
}

export function subscribeWatches(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}
