/**
 * Turn a request URL into safe path segments. Everything that could leave the document root or
 * reach a hidden file is refused here, before any file-system call: `..` and `.` (raw or
 * percent-encoded), NUL, backslashes, and segments starting with a dot (dot-files, dot-folders).
 */
import { HttpError } from './http-error.js';

export interface SafeUrl {
  /** decoded segments, none empty */
  segments: string[];
  /** the URL path ended with '/' */
  trailingSlash: boolean;
  /** decoded path, '/'-joined */
  path: string;
  /** raw query string without '?' */
  query: string;
}

const notFound = (): HttpError => new HttpError(404, 'Not Found');

export function parseUrl(url: string): SafeUrl {
  if (!url.startsWith('/')) throw new HttpError(400, `bad request target '${url.slice(0, 100)}'`);
  const hash = url.indexOf('#');
  const noHash = hash < 0 ? url : url.slice(0, hash);
  const q = noHash.indexOf('?');
  const rawPath = q < 0 ? noHash : noHash.slice(0, q);
  const query = q < 0 ? '' : noHash.slice(q + 1);
  if (rawPath.includes('\\')) throw notFound();
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    if (raw === '') continue;
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw new HttpError(400, 'malformed percent-encoding in the URL path');
    }
    if (seg.includes('\0') || seg.includes('\\') || seg.includes('/') || seg.startsWith('.'))
      throw notFound();
    segments.push(seg);
  }
  const trailingSlash = rawPath.length > 1 && rawPath.endsWith('/');
  return {
    segments,
    trailingSlash,
    path: '/' + segments.join('/') + (trailingSlash && segments.length ? '/' : ''),
    query,
  };
}
