/**
 * Turn a request URL into safe path segments. Everything that could leave the document root or
 * reach a hidden file is refused here, before any file-system call: `..` and `.` (raw or
 * percent-encoded), NUL, backslashes, and segments starting with a dot (dot-files, dot-folders).
 */
import { HttpError } from './http-error.js';

/** Read-only (not changed by its users): one parsed URL serves many requests (see UrlCache). */
export interface SafeUrl {
  /** decoded segments, none empty */
  readonly segments: string[];
  /** the URL path ended with '/' */
  readonly trailingSlash: boolean;
  /** decoded path, '/'-joined */
  readonly path: string;
  /** raw query string without '?' */
  readonly query: string;
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

/** Request targets remembered; the whole set is dropped when it is full (no bookkeeping per hit). */
const URL_CACHE_MAX = 1000;
/** longer targets are parsed each time: a thousand of them must not hold megabytes */
const URL_CACHE_MAX_LENGTH = 256;

/**
 * `parseUrl` of the targets a server sees again and again (the same pages, the same queries):
 * a Map lookup instead of splitting and decoding every time. A refused target is not kept (it
 * throws each time, as it should).
 */
export class UrlCache {
  private readonly urls = new Map<string, SafeUrl>();

  parse(url: string): SafeUrl {
    if (url.length > URL_CACHE_MAX_LENGTH) return parseUrl(url);
    let parsed = this.urls.get(url);
    if (parsed === undefined) {
      parsed = parseUrl(url);
      if (this.urls.size >= URL_CACHE_MAX) this.urls.clear();
      this.urls.set(url, parsed);
    }
    return parsed;
  }
}
