/**
 * Loaded sessions kept in memory by the SQLite store: the read path of a request becomes a Map
 * lookup instead of a SQLite read. The store writes every change through to it, so it never
 * holds a state the database does not; it forgets (oldest first) to stay in budget, and a
 * shared store forgets everything when another connection has committed.
 */
import type { CommitResult, SessionCommit, StoredNamespace, StoredSession } from './store.js';

/** A rough per-session cost besides pickles and previews (objects, Map slots, the id). */
const ENTRY_OVERHEAD = 256;

/** A kept session and the bytes each of its namespaces counts for (pickle + preview JSON). */
export interface CachedSession {
  session: StoredSession;
  nsBytes: ReadonlyMap<string, number>;
}

interface Entry extends CachedSession {
  bytes: number;
}

export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  /** @param budget bytes of pickles and previews (plus a little per session) kept at most */
  constructor(private readonly budget: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached session (read-only, as every StoredSession: it is shared by every load). */
  get(id: string): StoredSession | undefined {
    return this.entries.get(id)?.session;
  }

  /** What is kept of a session (to write a change through), without touching its rank. */
  peek(id: string): CachedSession | undefined {
    return this.entries.get(id);
  }

  /**
   * Keeps `s`, replacing what was kept under its id; evicts the oldest to fit. Oldest by load or
   * write, not by use: a hit changes nothing (re-inserting on every read churns the Map's table,
   * which costs more than reloading a hot session now and then).
   */
  set(s: StoredSession, nsBytes: ReadonlyMap<string, number>): void {
    this.delete(s.id);
    let bytes = ENTRY_OVERHEAD + s.id.length;
    for (const n of nsBytes.values()) bytes += n;
    if (bytes > this.budget) return;
    this.entries.set(s.id, { session: s, nsBytes, bytes });
    this.bytes += bytes;
    for (const [id, e] of this.entries) {
      if (this.bytes <= this.budget) break;
      this.entries.delete(id);
      this.bytes -= e.bytes;
    }
  }

  /**
   * A committed change written through (`created`: the creation time of a session the commit
   * created, else null). A session changed while not cached stays out (its other namespaces
   * are not at hand): its next load caches it. `bytesOf`: what a written namespace counts for.
   */
  commit(
    c: SessionCommit,
    created: number | null,
    r: CommitResult,
    bytesOf: (name: string, v: { pickle: Buffer }) => number,
  ): void {
    const before = created === null ? this.peek(c.id) : undefined;
    if (created === null && !before) return;
    const ns = new Map(before?.session.ns);
    const nsBytes = new Map(before?.nsBytes);
    for (const name of c.delete) {
      ns.delete(name);
      nsBytes.delete(name);
    }
    for (const [name, v] of c.upsert) {
      ns.set(name, ownedNamespace(v.pickle, v.preview, r.versions.get(name)!));
      nsBytes.set(name, bytesOf(name, v));
    }
    this.set(
      {
        id: c.id,
        created: created ?? before!.session.created,
        accessed: c.now,
        expires: c.expires,
        version: r.version,
        ns,
      },
      nsBytes,
    );
  }

  /** A new state with the same namespaces (touched or renamed) for a session that is cached. */
  replace(id: string, s: StoredSession): void {
    const e = this.entries.get(id);
    if (!e) return;
    if (s.id !== id) this.delete(id);
    this.set(s, e.nsBytes);
  }

  delete(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }
}

/** A namespace as the cache keeps it: its pickle copied out of whatever buffer it came in. */
export function ownedNamespace(
  pickle: Buffer,
  preview: StoredNamespace['preview'],
  version: number,
): StoredNamespace {
  // Pickles from a worker are views into the pipe's read buffer: a copy does not keep it alive.
  return { pickle: Buffer.from(pickle), preview, version };
}
