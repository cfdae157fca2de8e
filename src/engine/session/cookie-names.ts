/** A cookie renamed by a reload is still read under its former names: no session is lost. */
import { sessionIdFromCookieHeader } from './cookie.js';

/** The session a request's cookies name, and the former cookie name it came under. */
export interface CookieSession {
  id: string | null;
  former: string | null;
}

/** The well-formed session id a request's cookies carry under `name`, else under a former name. */
export function readSessionCookie(
  header: string | undefined,
  name: string,
  formerNames: readonly string[],
): CookieSession {
  const id = sessionIdFromCookieHeader(header, name);
  if (id !== null) return { id, former: null };
  for (const former of formerNames) {
    const old = sessionIdFromCookieHeader(header, former);
    if (old !== null) return { id: old, former };
  }
  return { id: null, former: null };
}

/** The former names once the cookie is renamed from `from` to `to`: the latest first, `to` never. */
export function formerNamesAfterRename(
  from: string,
  to: string,
  formerNames: readonly string[],
): string[] {
  return [from, ...formerNames.filter((n) => n !== to && n !== from)];
}
