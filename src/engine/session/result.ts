/** A session as it crosses to a worker and back (the protocol's blobs already resolved). */
import type { PreviewValue } from '../../common/types/session.js';

/** A pickle not read yet: its size, and a synchronous read of it (which may fail, saying why). */
export interface PickleReader {
  readonly size: number;
  read(): Buffer;
}

/**
 * What a worker receives: the session's namespaces as pickles ('' = the standard dictionary). A
 * big one may come as a reader, read only when the page uses it.
 */
export interface SessionInput {
  id: string;
  ns: Map<string, Buffer | PickleReader>;
}

/** What a worker reports of a request's session: the pickles that changed, previews, deletions. */
export interface SessionResult {
  id: string;
  created: boolean;
  changed: Map<string, Buffer>;
  previews: Readonly<Record<string, PreviewValue>>;
  deleted: readonly string[];
  regenerated?: string;
  invalidated?: boolean;
  /** recorded runs: namespace → key → [file, line] of its last write */
  writes?: Record<string, Record<string, [string, number]>>;
}
