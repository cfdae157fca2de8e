/** A session as it crosses to a worker and back (the protocol's blobs already resolved). */
import type { PreviewValue } from '../../common/types/session.js';

/** What a worker receives: the session's namespaces as pickles ('' = the standard dictionary). */
export interface SessionInput {
  id: string;
  ns: Map<string, Buffer>;
}

/** What a worker reports of a request's session: the pickles that changed, previews, deletions. */
export interface SessionResult {
  id: string;
  created: boolean;
  changed: Map<string, Buffer>;
  previews: Record<string, PreviewValue>;
  deleted: string[];
  regenerated?: string;
  invalidated?: boolean;
}
