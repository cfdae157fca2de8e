/** A request's held session moves with its own commits, so a failure returns to the last. */
import type { PreviewValue } from '../../common/types/session.js';
import type { SessionInput } from './result.js';
import type { StoredNamespace } from './store.js';

/** A session as a request holds it: the id, version and namespaces of its last commit (or load). */
export interface HeldSession {
  id: string;
  version: number;
  accessed: number;
  ns: ReadonlyMap<string, StoredNamespace>;
}

/** A dry run's given state (e.g. a copy of a past state from the journal), held as if loaded. */
export function snapshotState(
  snapshot: SessionInput & { previews?: Record<string, PreviewValue> },
  now: () => number,
): HeldSession {
  const ns = new Map<string, StoredNamespace>();
  for (const [name, p] of snapshot.ns) {
    ns.set(name, {
      pickle: Buffer.isBuffer(p) ? p : p.read(),
      preview: snapshot.previews?.[name] ?? { t: 'cut' },
      version: 0,
    });
  }
  return { id: snapshot.id, version: 0, accessed: now(), ns };
}

/** The session held after a commit of `upsert` and `deleted` at `version`. */
export function nextState(
  prev: HeldSession | null,
  id: string,
  version: number,
  now: number,
  upsert: Map<string, { pickle: Buffer; preview: PreviewValue }>,
  deleted: string[],
  versions: Map<string, number>,
): HeldSession {
  const ns = new Map(prev?.ns ?? []);
  for (const name of deleted) ns.delete(name);
  for (const [name, v] of upsert) {
    ns.set(name, {
      pickle: v.pickle,
      preview: v.preview,
      version: versions.get(name) ?? (prev?.ns.get(name)?.version ?? 0) + 1,
    });
  }
  return { id, version, accessed: now, ns };
}
