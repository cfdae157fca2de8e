/** Shared set-up of the Studio tests: a temp copy of examples/, a real engine, a real service. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSetCookie } from 'cookie';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const EXAMPLES = path.join(REPO, 'examples');
export const RENDERER_DIR = path.join(REPO, 'out/renderer');

export async function copyExamples(): Promise<{ dir: string; remove(): Promise<void> }> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'pse-studio-test-'));
  const dir = path.join(base, 'app');
  await cp(EXAMPLES, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pse`) });
  return { dir, remove: () => rm(base, { recursive: true, force: true }) };
}

/** Waits until `probe` returns a truthy value (polling; the watcher and servers are asynchronous). */
export async function until<T>(
  probe: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A visitor of the embedded server without a browser: GETs that keep the session cookie. */
export function visitor(server: () => string): {
  get(url: string): Promise<string>;
  /** `name=value` of the session cookie, '' before one was set */
  cookie(): string;
  sessionId(): string;
} {
  let cookie = '';
  return {
    async get(url) {
      const res = await fetch(new URL(url, server()), { headers: cookie ? { cookie } : {} });
      const sc = res.headers.getSetCookie()[0];
      if (sc) {
        const c = parseSetCookie(sc);
        cookie = `${c.name}=${c.value}`;
      }
      return res.text();
    },
    cookie: () => cookie,
    sessionId: () => cookie.split('=')[1]!,
  };
}
