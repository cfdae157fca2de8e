/**
 * Session DTOs shared by the engine's admin API and PSE Studio. Plain data: no Node, no DOM.
 */

/**
 * A typed JSON picture of a Python value, capped in depth and size (made by pse/_preview.py).
 * The worker protocol's `Preview` is this type.
 */
export type PreviewValue =
  | { t: 'str'; v: string; more?: number }
  | { t: 'int'; v: string }
  | { t: 'float'; v: number | string }
  | { t: 'bool'; v: boolean }
  | { t: 'none' }
  | { t: 'bytes'; v: string; len: number }
  | { t: 'list' | 'tuple' | 'set' | 'frozenset'; v: PreviewValue[]; more?: number }
  | { t: 'dict'; v: [string, PreviewValue][]; more?: number }
  | { t: 'datetime' | 'date' | 'time'; v: string }
  | { t: 'object'; type: string; repr: string }
  | { t: 'cut' };

/** One dictionary of a session ('' is the standard one, `session.new()`). */
export interface NamespaceView {
  name: string;
  /** grows by one with each commit that changes this namespace */
  version: number;
  /** size of the pickle in bytes */
  size: number;
  preview: PreviewValue;
}

export interface SessionSummary {
  id: string;
  /** epoch milliseconds */
  created: number;
  accessed: number;
  expires: number;
  /** grows by one with each commit to the session (any namespace, or its own fields) */
  version: number;
  namespaces: string[];
}

export interface SessionView extends SessionSummary {
  namespaceViews: NamespaceView[];
}

export interface SessionListQuery {
  offset?: number;
  /** default 50, at most 500 */
  limit?: number;
  /** substring of the id */
  id?: string;
  /** sessions that have this namespace */
  namespace?: string;
  /** sessions whose previews name this key (a top-level key of a namespace) */
  key?: string;
  /** substring searched in the previews' JSON text (keys and values) */
  text?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  offset: number;
  limit: number;
}
