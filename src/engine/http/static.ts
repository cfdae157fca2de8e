/** Static files: MIME type, ETag and Last-Modified validators, 304, HEAD, single byte ranges. */
import type { Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { HttpError } from './http-error.js';
import { headerValue, type HeaderList, type HttpRequest, type HttpResponse } from './types.js';

export function etagOf(stats: Stats): string {
  return `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
}

export function serveStatic(req: HttpRequest, file: string, stats: Stats): HttpResponse {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, `${req.method} is not allowed on a static file`, {
      headers: [['Allow', 'GET, HEAD']],
    });
  }
  const etag = etagOf(stats);
  const lastModified = new Date(Math.floor(stats.mtimeMs / 1000) * 1000);
  const headers: HeaderList = [
    ['ETag', etag],
    ['Last-Modified', lastModified.toUTCString()],
    ['Cache-Control', 'no-cache'],
    ['Accept-Ranges', 'bytes'],
  ];
  if (notModified(req, etag, lastModified)) return { status: 304, headers, body: Buffer.alloc(0) };
  headers.push(['Content-Type', contentType(file)]);
  const size = stats.size;
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = headerValue(req.headers, 'range');
  const ifRange = headerValue(req.headers, 'if-range');
  if (range && (!ifRange || ifRange === etag)) {
    const r = parseRange(range, size);
    if (r === 'unsatisfiable') {
      throw new HttpError(416, 'Range Not Satisfiable', {
        headers: [['Content-Range', `bytes */${size}`]],
      });
    }
    if (r) {
      [start, end] = r;
      status = 206;
      headers.push(['Content-Range', `bytes ${start}-${end}/${size}`]);
    }
  }
  headers.push(['Content-Length', String(Math.max(0, end - start + 1))]);
  if (req.method === 'HEAD' || size === 0) return { status, headers, body: Buffer.alloc(0) };
  return { status, headers, body: { file, start, end } };
}

// mime-types builds its tables as it loads (~20 ms): a server pays for them at its first static
// file instead of at every start
let mime: typeof import('mime-types') | undefined;

/** The Content-Type of a file served as it is, by its extension. */
export function contentType(file: string): string {
  mime ??= createRequire(import.meta.url)('mime-types') as typeof import('mime-types');
  return mime.contentType(path.extname(file)) || 'application/octet-stream';
}

function notModified(req: HttpRequest, etag: string, lastModified: Date): boolean {
  const inm = headerValue(req.headers, 'if-none-match');
  if (inm !== undefined) {
    const weak = (t: string): string => t.trim().replace(/^W\//, '');
    return inm.trim() === '*' || inm.split(',').some((t) => weak(t) === weak(etag));
  }
  const ims = headerValue(req.headers, 'if-modified-since');
  if (ims !== undefined) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && lastModified.getTime() <= since;
  }
  return false;
}

/** One range of `bytes=a-b`, `bytes=a-`, `bytes=-n`; several ranges are served as the whole file. */
function parseRange(header: string, size: number): [number, number] | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return 'unsatisfiable';
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return [start, end];
}
