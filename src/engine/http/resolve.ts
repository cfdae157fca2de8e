/**
 * URL → what to run (docs/language.md, URLs):
 *   /dir/name.pt            the servlet dir/name.pt
 *   /dir/ (a folder)        the folder's index.pt; /dir without the slash redirects to /dir/
 *   /dir/name (no such file) dir/name.pt when it exists (so /hello runs hello.pt)
 *   any other file          a static file
 * Hidden names (static-hidden.ts: code, configuration, dot-files, editor and backup copies) and
 * anything whose real path leaves the document root (symlinks included) are not found.
 */
import { realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Stats } from 'node:fs';
import { HttpError } from './http-error.js';
import { isHiddenName } from './static-hidden.js';
import type { SafeUrl } from './url.js';

export type Resolved =
  | { kind: 'servlet'; file: string }
  | { kind: 'static'; file: string; stats: Stats }
  | { kind: 'redirect'; location: string };

/**
 * A servlet found for a URL path is remembered this long: the stat + realpath (a syscall per path
 * component) then runs once per second per page instead of on every request. Only servlets are
 * kept: the worker stats the .pt itself on each request, so a page deleted meanwhile still
 * answers 404 at once; a new file is never hidden, since misses are not kept.
 */
const SERVLET_TTL_MS = 1000;
const SERVLET_CACHE_MAX = 1000;

export class Resolver {
  private realRoot: string | null = null;
  private readonly servlets = new Map<string, { target: Resolved; until: number }>();
  constructor(
    readonly root: string,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Synchronous: see statInside. Throws HttpError 404 when there is nothing to serve. */
  resolve(url: SafeUrl): Resolved {
    const key = url.path;
    const hit = this.servlets.get(key);
    const now = this.now();
    if (hit && hit.until > now) return hit.target;
    const found = this.lookup(url);
    if (found.kind === 'servlet') {
      if (this.servlets.size >= SERVLET_CACHE_MAX) this.servlets.clear();
      this.servlets.set(key, { target: found, until: now + SERVLET_TTL_MS });
    } else if (hit) this.servlets.delete(key);
    return found;
  }

  private lookup(url: SafeUrl): Resolved {
    // built only when thrown: an Error captures a stack trace, which is not free
    const notFound = (): HttpError => new HttpError(404, 'Not Found');
    if (url.segments.some(isHiddenName)) throw notFound();
    const target = path.join(this.root, ...url.segments);
    const st = this.statInside(target);
    if (st?.isDirectory()) {
      if (!url.trailingSlash && url.segments.length > 0) {
        const loc =
          '/' +
          url.segments.map(encodeURIComponent).join('/') +
          '/' +
          (url.query ? `?${url.query}` : '');
        return { kind: 'redirect', location: loc };
      }
      const index = path.join(target, 'index.pt');
      if (this.statInside(index)?.isFile()) return { kind: 'servlet', file: index };
      throw notFound();
    }
    if (st?.isFile()) {
      if (url.trailingSlash) throw notFound();
      if (path.extname(target).toLowerCase() === '.pt') return { kind: 'servlet', file: target };
      return { kind: 'static', file: target, stats: st };
    }
    if (!st && !url.trailingSlash && url.segments.length > 0 && path.extname(target) === '') {
      const pt = `${target}.pt`;
      if (this.statInside(pt)?.isFile()) return { kind: 'servlet', file: pt };
    }
    throw notFound();
  }

  /**
   * stat, or null when missing or when the real path (symlinks followed) is outside the root.
   * Synchronous on purpose: a stat of a cached inode takes microseconds, far less than a round
   * trip through libuv's thread pool, and this runs on every request.
   */
  private statInside(file: string): Stats | null {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return null;
    let real: string;
    try {
      real = realpathSync.native(file);
    } catch {
      return null;
    }
    this.realRoot ??= realpathSync.native(this.root);
    const rel = path.relative(this.realRoot, real);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return null;
    // A symlink may land on a hidden name (link.txt → secret.py) inside the root as well.
    if (rel !== '' && rel.split(path.sep).some(isHiddenName)) return null;
    return st;
  }
}
