import { parseSetCookie } from 'cookie';

/** A page as the session tests read it: its status, body and the session cookie it set. */
export interface Page {
  status: number;
  text: string;
  /** `name=value`, ready for the next request's Cookie header; absent when none was set */
  cookie?: string;
}

/** GETs `url`, sending `cookie` (a Cookie header value) when given. */
export async function getPage(url: string, cookie?: string): Promise<Page> {
  const res = await fetch(url, { headers: cookie ? { cookie } : {} });
  const set = res.headers.getSetCookie()[0];
  const c = set ? parseSetCookie(set) : undefined;
  return {
    status: res.status,
    text: await res.text(),
    ...(c ? { cookie: `${c.name}=${c.value}` } : {}),
  };
}
