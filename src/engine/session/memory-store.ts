/**
 * A session store in process memory: for `pse run`, tests and throwaway previews. Nothing
 * survives the process. Passes the same contract as the SQLite store; a commit is all or
 * nothing because it builds the new state aside and swaps it in only when every step succeeded.
 */
import type {
  Page,
  PreviewValue,
  SessionListQuery,
  SessionSummary,
  SessionView,
} from '../../common/types/session.js';
import {
  SessionConflictError,
  SessionStoreError,
  type CommitResult,
  type SessionCommit,
  type SessionStore,
  type StoredNamespace,
  type StoredSession,
} from './store.js';

interface Entry {
  created: number;
  accessed: number;
  expires: number;
  version: number;
  /** namespace → pickle, preview as JSON text (what the SQLite store keeps), version */
  ns: Map<string, { pickle: Buffer; preview: string; version: number }>;
}

export class MemorySessionStore implements SessionStore {
  readonly kind = 'memory';
  private readonly sessions = new Map<string, Entry>();

  async load(id: string, now: number): Promise<StoredSession | null> {
    const e = this.live(id, now);
    if (!e) return null;
    const ns = new Map<string, StoredNamespace>();
    for (const [name, n] of e.ns) {
      ns.set(name, {
        pickle: n.pickle,
        preview: JSON.parse(n.preview) as PreviewValue,
        version: n.version,
      });
    }
    return { ...times(id, e), ns };
  }

  async commit(c: SessionCommit): Promise<CommitResult> {
    const live = this.live(c.id, c.now);
    if (c.expectVersion !== undefined && (live?.version ?? null) !== c.expectVersion) {
      throw new SessionConflictError(c.id, c.expectVersion, live?.version ?? null);
    }
    if (c.create && live) throw new SessionConflictError(c.id, 0, live.version);
    if (!live && !c.create) throw new SessionConflictError(c.id, c.expectVersion ?? 0, null);
    const next: Entry = live
      ? { ...live, ns: new Map(live.ns) }
      : { created: c.now, accessed: c.now, expires: c.expires, version: 0, ns: new Map() };
    next.accessed = c.now;
    next.expires = c.expires;
    next.version += 1;
    for (const name of c.delete) next.ns.delete(name);
    const versions = new Map<string, number>();
    for (const [name, v] of c.upsert) {
      const version = (next.ns.get(name)?.version ?? 0) + 1;
      next.ns.set(name, {
        pickle: Buffer.from(v.pickle),
        preview: JSON.stringify(v.preview),
        version,
      });
      versions.set(name, version);
    }
    this.sessions.set(c.id, next);
    return { version: next.version, versions };
  }

  async touch(id: string, now: number, expires: number): Promise<boolean> {
    const e = this.sessions.get(id);
    if (!e) return false;
    e.accessed = now;
    e.expires = expires;
    return true;
  }

  async rename(oldId: string, newId: string, now: number, expires: number): Promise<void> {
    const e = this.sessions.get(oldId);
    if (!e)
      throw new SessionStoreError(`session ${oldId}: cannot regenerate, it does not exist`, oldId);
    this.sessions.delete(oldId);
    this.sessions.set(newId, { ...e, accessed: now, expires, version: e.version + 1 });
  }

  async delete(id: string, expectVersion?: number): Promise<boolean> {
    const e = this.sessions.get(id);
    if (expectVersion !== undefined && (e?.version ?? null) !== expectVersion) {
      throw new SessionConflictError(id, expectVersion, e?.version ?? null);
    }
    return this.sessions.delete(id);
  }

  async sweep(now: number): Promise<number> {
    let n = 0;
    for (const [id, e] of this.sessions) {
      if (e.expires <= now) {
        this.sessions.delete(id);
        n++;
      }
    }
    return n;
  }

  async list(q: SessionListQuery, now: number): Promise<Page<SessionSummary>> {
    const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
    const offset = Math.max(q.offset ?? 0, 0);
    const all = [...this.sessions]
      .filter(([id, e]) => e.expires > now && matches(id, e, q))
      .sort(([a, x], [b, y]) => y.accessed - x.accessed || (a < b ? -1 : a > b ? 1 : 0));
    return {
      items: all.slice(offset, offset + limit).map(([id, e]) => summary(id, e)),
      total: all.length,
      offset,
      limit,
    };
  }

  async view(id: string, now: number): Promise<SessionView | null> {
    const e = this.live(id, now);
    if (!e) return null;
    const names = [...e.ns.keys()].sort();
    return {
      ...summary(id, e),
      namespaceViews: names.map((name) => {
        const n = e.ns.get(name)!;
        return {
          name,
          version: n.version,
          size: n.pickle.length,
          preview: JSON.parse(n.preview) as PreviewValue,
        };
      }),
    };
  }

  async close(): Promise<void> {
    this.sessions.clear();
  }

  private live(id: string, now: number): Entry | undefined {
    const e = this.sessions.get(id);
    return e && e.expires > now ? e : undefined;
  }
}

/** The session's id, times and version, as both a summary and a loaded session carry them. */
function times(id: string, e: Entry): Omit<SessionSummary, 'namespaces'> {
  return { id, created: e.created, accessed: e.accessed, expires: e.expires, version: e.version };
}

function summary(id: string, e: Entry): SessionSummary {
  return { ...times(id, e), namespaces: [...e.ns.keys()].sort() };
}

function matches(id: string, e: Entry, q: SessionListQuery): boolean {
  if (q.id && !id.includes(q.id)) return false;
  if (q.namespace !== undefined && !e.ns.has(q.namespace)) return false;
  if (q.key !== undefined) {
    const key = q.key;
    const has = [...e.ns.values()].some((n) => {
      const p = JSON.parse(n.preview) as PreviewValue;
      return p.t === 'dict' && p.v.some(([k]) => k === key);
    });
    if (!has) return false;
  }
  if (q.text && ![...e.ns.values()].some((n) => n.preview.includes(q.text!))) return false;
  return true;
}
