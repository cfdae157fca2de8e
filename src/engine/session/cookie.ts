/**
 * The session cookie: read the id from a `Cookie` header, write `Set-Cookie` values with the
 * attributes PSE promises (HttpOnly, SameSite=Lax, Path=/, Secure when configured).
 */
import { parseCookie, stringifySetCookie } from 'cookie';
import { isWellFormedSessionId } from './ids.js';

export interface CookieOptions {
  name: string;
  secure: boolean;
  /** minutes from the last access; 0 = a browser-session cookie */
  expiresMinutes: number;
}

/** The id the client sent, if it is well-formed; anything else is ignored, never adopted. */
export function sessionIdFromCookieHeader(header: string | undefined, name: string): string | null {
  if (!header) return null;
  let value: string | undefined;
  try {
    value = parseCookie(header)[name];
  } catch {
    return null;
  }
  return isWellFormedSessionId(value) ? value : null;
}

export function sessionSetCookie(id: string, opts: CookieOptions): string {
  return stringifySetCookie(opts.name, id, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    ...(opts.expiresMinutes > 0 ? { maxAge: Math.round(opts.expiresMinutes * 60) } : {}),
  });
}

/** Deletes the cookie (session.invalidate()). */
export function sessionClearCookie(opts: CookieOptions): string {
  return stringifySetCookie(opts.name, '', {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: opts.secure,
    maxAge: 0,
    expires: new Date(0),
  });
}
