import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionManager, type SessionResult } from '../../src/engine/session/manager.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';

const NEW_ID = 'N'.repeat(43);
const OPTIONS = {
  cookieName: 'pse_session',
  cookieSecure: false,
  cookieExpires: 0,
  timeout: 60,
  collectionProbability: 0,
  lockTimeout: 30,
};

function created(id: string): SessionResult {
  return {
    id,
    created: true,
    changed: new Map([['', Buffer.from('{"a":1}')]]),
    previews: { '': { t: 'dict', v: [] } },
    deleted: [],
  };
}

/** The promise-free path of the server: `openWithoutCookie` and `finishAtOnce`. */
describe('SessionManager without a promise', () => {
  let store: SqliteSessionStore;
  let now: number;
  let m: SessionManager;
  beforeEach(() => {
    store = new SqliteSessionStore({ file: ':memory:' });
    now = 1_700_000_000_000;
    m = new SessionManager({ store, options: OPTIONS, now: () => now });
  });
  afterEach(() => store.close());

  it('opens at once for a request without a session cookie, and finishes at once', () => {
    for (const header of [undefined, '', 'other=1', 'pse_session=not-an-id']) {
      const t = m.openWithoutCookie(header)!;
      expect(t.session).toBeNull();
      const fin = t.finishAtOnce({ ok: true })!;
      expect(fin.setCookie).toBeUndefined();
      expect(fin.trace).toMatchObject({ sessionId: null, outcome: 'read_only', changes: [] });
      expect(() => t.finishAtOnce({ ok: true })).toThrow(/twice/);
    }
  });

  it('leaves a request with a well-formed session id to open()', () => {
    expect(m.openWithoutCookie(`pse_session=${NEW_ID}`)).toBeNull();
  });

  it('does not finish at once when there is something to store; finish() then commits', async () => {
    const t = m.openWithoutCookie(undefined)!;
    expect(t.finishAtOnce({ ok: true, session: created(NEW_ID) })).toBeNull();
    const fin = await t.finish({ ok: true, session: created(NEW_ID) });
    expect(fin.trace.outcome).toBe('committed');
    expect(fin.setCookie?.[0]).toContain(NEW_ID);
    expect(await store.load(NEW_ID, now)).not.toBeNull();
  });

  it('finishes a read at once, unless the expiry is due to slide', async () => {
    await (await m.open({})).finish({ ok: true, session: created(NEW_ID) });
    const read = await m.open({ cookieHeader: `pse_session=${NEW_ID}` });
    expect(read.finishAtOnce({ ok: true })?.trace.outcome).toBe('read_only');
    now += 61_000;
    const later = await m.open({ cookieHeader: `pse_session=${NEW_ID}` });
    expect(later.finishAtOnce({ ok: true })).toBeNull();
    expect((await later.finish({ ok: true })).trace.outcome).toBe('read_only');
    // the lock was released both ways: a third request gets the session at once
    const third = await m.open({ cookieHeader: `pse_session=${NEW_ID}` });
    expect(third.lockWaitMs).toBe(0);
    await third.finish({ ok: true });
  });
});
