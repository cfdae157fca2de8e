/**
 * The `Host` header check that keeps DNS rebinding out: a page on evil.example whose name is made
 * to resolve to 127.0.0.1 reaches a loopback server with `Host: evil.example`, so a server that
 * answers only the names it is meant to be reached by cannot be read that way. Studio's own
 * servers accept only the loopback names with their port; `pse serve` takes `[Main] AllowedHosts`.
 */
import { hostProblem, type HostPattern } from '../host-names.js';
import { errorPage } from './error-pages.js';
import type { HttpRequest, HttpResponse } from './types.js';

/** 421 Misdirected Request, saying which Host was refused and why. */
export function misdirected(reason: string): HttpResponse {
  const res = errorPage(
    421,
    `${reason}. This server answers only to the host names it is set up for: open it by one of those.`,
  );
  res.headers.push(['Connection', 'close']);
  return res;
}

/**
 * `handle` behind an `AllowedHosts` check read on every request (the list follows pse.conf
 * reloads); an empty list checks nothing.
 */
export function hostGuard(
  patterns: () => readonly HostPattern[],
  handle: (req: HttpRequest) => Promise<HttpResponse>,
): (req: HttpRequest) => Promise<HttpResponse> {
  return (req) => {
    const list = patterns();
    if (list.length === 0) return handle(req);
    const why = hostProblem(list, firstHost(req.headers['host']));
    return why === undefined ? handle(req) : Promise.resolve(misdirected(why));
  };
}

/** node:http keeps one Host; a request shaped by hand may carry a list. */
export function firstHost(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
