/**
 * A request made in-process (tests, `pse run`, Studio's preview and replay): the same path as
 * over HTTP, in and out as plain values, the body read whole.
 */
import { readFile } from 'node:fs/promises';
import type { LocatedError } from '../../common/types/located.js';
import type { Answer, HeaderList, ResponseBody } from '../http/types.js';
import type { ServletError } from '../runtime/protocol.js';
import type { EngineHttpRequest, PreviewSession } from './preview.js';
import type { ServletAnswer, SessionOutcomeView } from './servlet-run.js';

export interface EngineRequest {
  method: string;
  /** path + query */
  url: string;
  headers?: Record<string, string | string[] | undefined>;
  body?: Buffer | string;
  remote?: [string, number];
  /**
   * Studio: run with unsaved text (path → text, absolute or app-relative; used for the servlet
   * and for every template or code module it includes or calls) and commit nothing.
   */
  preview?: { overrides?: Record<string, string>; dry: true; session?: PreviewSession };
}

export interface EngineResponse {
  status: number;
  headers: HeaderList;
  body: Buffer;
  worker?: number;
  /** the servlet raised (frames already mapped to template and code-module lines) */
  error?: ServletError;
  /** the preview's unsaved text did not compile */
  problems: LocatedError[];
  /** the session the request ran with and what it changed (for a dry run: would have changed) */
  session?: SessionOutcomeView;
  cached: boolean;
  durationMs: number;
}

/** The request as the HTTP app takes it: header names in lower case, the body's length set. */
export function toHttpRequest(req: EngineRequest, localPort: number): EngineHttpRequest {
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  if (body && headers['content-length'] === undefined)
    headers['content-length'] = String(body.length);
  const out: EngineHttpRequest = {
    method: req.method.toUpperCase(),
    url: req.url,
    headers,
    body: body && body.length > 0 ? body : undefined,
    remote: req.remote ?? ['127.0.0.1', 0],
    local: ['127.0.0.1', localPort],
  };
  if (req.preview)
    out.preview = {
      overrides: req.preview.overrides ?? {},
      session: req.preview.session ?? 'cookie',
    };
  return out;
}

/** The app's answer as a plain value, its body read whole (none for HEAD). */
export async function toEngineResponse(
  answer: ServletAnswer | Answer,
  method: string,
  started: number,
): Promise<EngineResponse> {
  const { res } = answer;
  const out = await collect(res.body);
  const extra: ServletAnswer = answer;
  return {
    status: res.status,
    headers: res.headers,
    body: method === 'HEAD' ? Buffer.alloc(0) : out,
    worker: answer.worker,
    error: extra.servletError,
    ...(extra.session ? { session: extra.session } : {}),
    problems: extra.problems ? [...extra.problems] : [],
    cached: answer.cached ?? false,
    durationMs: performance.now() - started,
  };
}

async function collect(body: ResponseBody): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return body;
  if ('file' in body && typeof body.file === 'string') {
    const all = await readFile(body.file);
    return all.subarray(body.start, body.end + 1);
  }
  const parts: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
  return Buffer.concat(parts);
}
