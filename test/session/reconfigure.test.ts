/** SessionManager.reconfigure (pse.conf reload): new options, same store, locks and sessions. */
import { parseSetCookie } from 'cookie';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LockTimeoutError, SessionLocks } from '../../src/engine/session/locks.js';
import { SessionManager } from '../../src/engine/session/manager.js';
import type { SessionResult } from '../../src/engine/session/result.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';

const ID = 'N'.repeat(43);
const OPTIONS = {
  cookieName: 'pse_session',
  cookieSecure: false,
  cookieExpires: 0,
  timeout: 60,
  collectionProbability: 0,
  lockTimeout: 30,
};

function stored(id: string, v: string): SessionResult {
  return {
    id,
    created: true,
    changed: new Map([['', Buffer.from(v)]]),
    previews: { '': { t: 'str', v } },
    deleted: [],
  };
}

describe('SessionManager.reconfigure', () => {
  let store: SqliteSessionStore;
  let m: SessionManager;
  beforeEach(async () => {
    store = new SqliteSessionStore({ file: ':memory:' });
    m = new SessionManager({ store, options: OPTIONS });
    const t = await m.open({});
    await t.finish({ ok: true, session: stored(ID, 'a') });
  });
  afterEach(() => store.close());

  it('a renamed cookie is still read under its old name and moved to the new one', async () => {
    m.reconfigure({ ...OPTIONS, cookieName: 'sid', cookieSecure: true });
    const t = await m.open({ cookieHeader: `pse_session=${ID}` });
    expect(t.session?.id).toBe(ID);
    const { setCookie } = await t.finish({ ok: true });
    const cookies = setCookie!.map((c) => parseSetCookie(c));
    expect(cookies).toHaveLength(2);
    expect(cookies[0]).toMatchObject({ name: 'sid', value: ID, secure: true, httpOnly: true });
    expect(cookies[1]).toMatchObject({ name: 'pse_session', value: '', maxAge: 0 });
    // under the new name: no move, no extra cookie (CookieExpires = 0)
    const again = await m.open({ cookieHeader: `sid=${ID}` });
    expect((await again.finish({ ok: true })).setCookie).toBeUndefined();
  });

  it('a second rename keeps every former name readable; the current name wins', async () => {
    m.reconfigure({ ...OPTIONS, cookieName: 'b' });
    m.reconfigure({ ...OPTIONS, cookieName: 'c' });
    for (const header of [
      `pse_session=${ID}`,
      `b=${ID}`,
      `c=${ID}; pse_session=${'X'.repeat(43)}`,
    ]) {
      const t = await m.open({ cookieHeader: header });
      expect(t.session?.id, header).toBe(ID);
      await t.finish({ ok: true });
    }
    // renaming back to a former name stops treating it as former
    m.reconfigure({ ...OPTIONS, cookieName: 'pse_session' });
    const t = await m.open({ cookieHeader: `pse_session=${ID}` });
    expect((await t.finish({ ok: true })).setCookie).toBeUndefined();
  });

  it('a new LockTimeout applies to the next waiters, while the lock held before stays held', async () => {
    const held = await m.open({ cookieHeader: `pse_session=${ID}` });
    m.reconfigure({ ...OPTIONS, lockTimeout: 0.05 });
    const err = await m.open({ cookieHeader: `pse_session=${ID}` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect(m.locks.depth(ID)).toBe(1);
    await held.finish({ ok: true });
    expect(m.locks.depth(ID)).toBe(0);
  });

  it('a new CookieExpires gives the cookie a lifetime', async () => {
    m.reconfigure({ ...OPTIONS, cookieExpires: 10 });
    const t = await m.open({ cookieHeader: `pse_session=${ID}` });
    const { setCookie } = await t.finish({ ok: true });
    expect(parseSetCookie(setCookie![0]!)).toMatchObject({ name: 'pse_session', maxAge: 600 });
  });
});

describe('SessionLocks.setTimeout', () => {
  it('waiters already queued keep the timeout they started with', async () => {
    const locks = new SessionLocks(60_000);
    const release = await locks.acquire('s');
    const early = locks.acquire('s');
    locks.setTimeout(10);
    const late = await locks.acquire('s').catch((e: unknown) => e);
    expect(late).toBeInstanceOf(LockTimeoutError);
    release();
    const releaseEarly = await early;
    releaseEarly();
    expect(locks.depth('s')).toBe(0);
  });
});
