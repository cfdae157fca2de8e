/**
 * A request's session, opened before its run: the one its cookie names (FIFO lock, load), or
 * for a preview the one Studio chose (a stored session, a journaled past state, none). Without
 * sessions (`[plugins.session] Enabled = no`) a request has no ticket: null.
 */
import { HttpError } from '../http/http-error.js';
import type { HttpRequest } from '../http/types.js';
import type { CookieSession } from '../session/cookie-names.js';
import type { SessionTicket } from '../session/ticket.js';
import type { SessionService } from '../session/service.js';
import { storeUnavailable } from './failure.js';
import type { Preview } from './preview.js';

/**
 * The ticket of a request that names no session, made without a promise (most requests of
 * pages that use none); else the session its cookies name, read once, to open.
 */
export function ticketAtOnce(
  sessions: SessionService | null,
  req: HttpRequest,
): SessionTicket | CookieSession | null {
  if (!sessions) return null;
  const { manager } = sessions;
  const cookie = manager.readCookie(cookieHeader(req));
  return manager.openWithoutCookie(cookie) ?? cookie;
}

/** The request's session, looked up and locked; a session busy past LockTimeout is a 503. */
export async function openSession(
  sessions: SessionService | null,
  req: HttpRequest,
  preview: Preview | undefined,
  cookie?: CookieSession,
): Promise<SessionTicket | null> {
  const choice = preview?.session ?? 'cookie';
  if (!sessions) {
    if (typeof choice === 'object') {
      throw new HttpError(
        400,
        'preview: sessions are disabled in this app ([plugins.session] Enabled = no), so there is no session to run against',
      );
    }
    return null;
  }
  const dry = preview !== undefined;
  try {
    if (choice === 'fresh' || choice === 'none') return await sessions.open({ dry: true });
    if (typeof choice === 'object' && 'id' in choice) {
      const ticket = await sessions.open({ dry: true, sessionId: choice.id });
      if (!ticket.session) {
        await ticket.finish({ ok: false });
        throw new HttpError(
          400,
          `preview: no session ${choice.id} (unknown, expired or malformed id)`,
        );
      }
      return ticket;
    }
    if (typeof choice === 'object' && 'state' in choice) {
      const { id, ns } = choice.state;
      return await sessions.open({
        dry: true,
        snapshot: {
          id,
          ns: new Map([...ns].map(([name, n]) => [name, n.pickle])),
          previews: Object.fromEntries([...ns].map(([name, n]) => [name, n.preview])),
        },
      });
    }
    if (typeof choice === 'object') {
      const { serial, phase } = choice.snapshot;
      const snapshot = await sessions.admin.snapshot(serial, phase).catch((err: unknown) => {
        throw new HttpError(
          400,
          `preview: cannot run against the state ${phase} request #${serial}: ${err instanceof Error ? err.message : String(err)}`,
        );
      });
      return await sessions.open({ dry: true, snapshot });
    }
    return await sessions.open(cookie ? { cookie, dry } : { cookieHeader: cookieHeader(req), dry });
  } catch (err) {
    throw sessionOpenError(err);
  }
}

/** What a request is answered when its session cannot be opened: busy past LockTimeout → 503. */
export function sessionOpenError(err: unknown): unknown {
  // busy past LockTimeout: try again later
  if ((err as { code?: string }).code === 'session_lock_timeout')
    return new HttpError(503, (err as Error).message);
  return storeUnavailable(err) ?? err;
}

/** The request's `Cookie` header as one string (Node keeps repeated ones as an array). */
function cookieHeader(req: HttpRequest): string | undefined {
  const cookie = req.headers['cookie'];
  return Array.isArray(cookie) ? cookie.join('; ') : cookie;
}
