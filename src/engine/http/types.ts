import type { JournalOutcome, NamespaceChange } from '../../common/types/journal.js';
import type { LocatedError, ServletError } from '../runtime/protocol.js';

/**
 * The HTTP core's values. The core never sees node:http: a request is plain data with its body
 * as bytes or an async iterable of chunks, and a response is plain data the adapter writes out.
 */

export type HeaderList = [name: string, value: string][];

/** Header names in lower case (as node:http delivers them). */
export type RequestHeaders = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  method: string;
  /** path + query as received */
  url: string;
  headers: RequestHeaders;
  body?: Buffer | AsyncIterable<Buffer>;
  remote: [ip: string, port: number];
  local: [ip: string, port: number];
}

/** A byte range of a file on disk (end inclusive), streamed by the adapter. */
export interface FileBody {
  file: string;
  start: number;
  end: number;
}

export type ResponseBody = Buffer | FileBody | AsyncIterable<Buffer>;

export interface HttpResponse {
  status: number;
  headers: HeaderList;
  body: ResponseBody;
  /** worker number that ran the servlet */
  worker?: number;
  /** settles when the servlet run is over (a streamed body may still be flowing before that) */
  finished?: Promise<void>;
  /** served from the output cache (pse.cache) without running the servlet */
  cached?: boolean;
  /** the servlet raised (for in-process callers: Studio shows the mapped frames) */
  servletError?: ServletError;
  /** the request's unsaved preview text did not compile */
  problems?: LocatedError[];
  /** the session the servlet ran with and what it changed (in-process callers only) */
  session?: SessionOutcomeView;
  /** what went wrong, for the error log (never sent as such) */
  error?: string;
}

export type UploadValue = {
  filename: string;
  type: string;
  size: number;
  file?: string;
  data?: Buffer;
};
export type FormEntry = [name: string, value: string | UploadValue];

/** One line of the access log, also emitted as the engine's 'request' event. */
export interface RequestRecord {
  id: number;
  /** ISO time the request arrived */
  time: string;
  method: string;
  url: string;
  status: number;
  /** body bytes when known in advance (static files, buffered pages) */
  bytes?: number;
  durationMs: number;
  worker?: number;
  remote: string;
  kind: 'servlet' | 'static' | 'cache' | 'error' | 'redirect';
  servlet?: string;
  error?: string;
}

export function isFileBody(body: ResponseBody): body is FileBody {
  return !Buffer.isBuffer(body) && typeof (body as FileBody).file === 'string';
}

export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A request's session as in-process callers see it: its id, outcome and namespace changes. */
export interface SessionOutcomeView {
  id: string | null;
  outcome: JournalOutcome;
  changes: NamespaceChange[];
}
