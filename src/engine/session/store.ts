/**
 * The `SessionStore` interface: where session namespaces (pickles) live between requests.
 * SQLite (sqlite-store.ts) is the embedded default; other backends (PostgreSQL, Redis) implement
 * the same few operations and pass test/session/store.contract.test.ts. Methods are async so
 * that networked stores fit; the store knows nothing of HTTP, cookies, locks or the IDE.
 */
import type {
  Page,
  PreviewValue,
  SessionListQuery,
  SessionSummary,
  SessionView,
} from '../../common/types/session.js';

export interface StoredNamespace {
  /**
   * The pickle. A store may leave a big one unread at load (see `unread`): then this is a getter
   * that reads it on first use, at the session version loaded.
   */
  readonly pickle: Buffer;
  /**
   * Set when the store did not read the pickle at load: its size, and a read that fails with a
   * SessionConflictError unless the session is `sessionId` (it may have been renamed since) at
   * `sessionVersion`, with the namespace as loaded.
   */
  readonly unread?: {
    readonly size: number;
    read(sessionId: string, sessionVersion: number): Buffer;
  };
  readonly preview: PreviewValue;
  readonly version: number;
}

/**
 * A loaded session. Read-only for its receiver: a store may hand the same object (and the same
 * namespaces) to every load of the session (the exclusive SQLite store's cache does).
 */
export interface StoredSession {
  readonly id: string;
  readonly created: number;
  readonly accessed: number;
  readonly expires: number;
  readonly version: number;
  readonly ns: ReadonlyMap<string, StoredNamespace>;
}

/** A stored session of its row's columns and its namespaces, as both SQL stores read them. */
export function storedSession(
  row: Omit<StoredSession, 'ns'>,
  ns: ReadonlyMap<string, StoredNamespace>,
): StoredSession {
  const { id, created, accessed, expires, version } = row;
  return { id, created, accessed, expires, version, ns };
}

/** One commit: applied in a single transaction, all or nothing. */
export interface SessionCommit {
  id: string;
  /** epoch ms */
  now: number;
  /** new expiry (epoch ms) — sliding expiry moves it on each commit */
  expires: number;
  /** create the session: it must not exist (a live one is a conflict); without it, it must exist */
  create?: boolean;
  /** the session version the change is based on; a mismatch fails with SessionConflictError */
  expectVersion?: number;
  upsert: Map<string, { pickle: Buffer; preview: PreviewValue }>;
  delete: string[];
}

export interface CommitResult {
  /** the session's version after the commit */
  version: number;
  /** each written namespace's new version */
  versions: Map<string, number>;
}

export interface SessionStore {
  readonly kind: string;
  /**
   * A live session, or null if it is unknown or expired at `now` (never revived). `held`: the
   * caller has held the session's lock across processes without a break since this store last
   * loaded or wrote it, so no other process can have changed it (a store that keeps sessions in
   * memory may serve its copy without asking the database).
   */
  load(id: string, now: number, held?: boolean): Promise<StoredSession | null>;
  commit(c: SessionCommit): Promise<CommitResult>;
  /** Move `accessed`/`expires` on (sliding expiry) without a version change; false if gone. */
  touch(id: string, now: number, expires: number): Promise<boolean>;
  /** Give a session a new id, keeping its data (session.regenerate()). */
  rename(oldId: string, newId: string, now: number, expires: number): Promise<void>;
  /** Delete a session; `expectVersion` as in commit. Returns false if it did not exist. */
  delete(id: string, expectVersion?: number): Promise<boolean>;
  /** Remove every session expired at `now`; returns how many. */
  sweep(now: number): Promise<number>;
  list(q: SessionListQuery, now: number): Promise<Page<SessionSummary>>;
  view(id: string, now: number): Promise<SessionView | null>;
  close(): Promise<void>;
}

/** A change was based on a version the session no longer has (or the session is gone). */
export class SessionConflictError extends Error {
  readonly code = 'session_conflict';
  constructor(
    readonly sessionId: string,
    readonly expected: number,
    readonly actual: number | null,
  ) {
    super(
      actual === null
        ? `session ${sessionId}: it no longer exists (the change was based on version ${expected})`
        : `session ${sessionId}: changed meanwhile (based on version ${expected}, now ${actual}); reload and retry`,
    );
    this.name = 'SessionConflictError';
  }
}

/** A store failure, with the session and namespace it concerns. */
export class SessionStoreError extends Error {
  constructor(
    message: string,
    readonly sessionId?: string,
    readonly namespace?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SessionStoreError';
  }
}

/**
 * The store cannot take a change now (locked by another process, disk full, its database out of
 * reach): trying again later may succeed. The server answers 503 with `Retry-After`.
 */
export class StoreUnavailableError extends SessionStoreError {
  constructor(
    message: string,
    readonly code: 'store_busy' | 'store_full' | 'store_unreachable',
    /** seconds after which trying again may succeed (HTTP `Retry-After`) */
    readonly retryAfter: number,
    options?: { cause?: unknown },
  ) {
    super(message, undefined, undefined, options);
    this.name = 'StoreUnavailableError';
  }
}

/** Session namespaces are str names not starting with '_' ('' is the standard dictionary). */
export function isNamespaceName(name: string): boolean {
  return !name.startsWith('_') && name.length <= 200;
}
