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
}

/**
 * What a handler answers the core: the response, and what the access and error logs say of it.
 * A servlet handler answers more (see src/engine/request): the core passes it through as it is.
 */
export interface Answer {
  res: HttpResponse;
  /** what went wrong, for the error log (never sent as such) */
  error?: string;
  /** the number of the process that produced the response, for the access log */
  worker?: number;
  /** served from a cache without running the handler's work (access-log kind 'cache') */
  cached?: boolean;
  /** settles when the producer of a streamed body is done (the body may still be flowing) */
  finished?: Promise<void>;
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
  /** the request committed nothing (a Studio preview) */
  dryRun?: true;
}

export function isFileBody(body: ResponseBody): body is FileBody {
  return !Buffer.isBuffer(body) && typeof (body as FileBody).file === 'string';
}

export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The request's headers as a list of pairs, a repeated header once per value. */
export function headerList(headers: RequestHeaders): HeaderList {
  const out: HeaderList = [];
  // for…in, not Object.entries: no [key, value] array per header on every request
  for (const k in headers) {
    const v = headers[k];
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) out.push([k, x]);
    else out.push([k, v]);
  }
  return out;
}
