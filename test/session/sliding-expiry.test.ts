import { afterEach, describe, expect, it } from 'vitest';
import { SessionManager } from '../../src/engine/session/manager.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';

const ID = 'E'.repeat(43);
const MINUTE = 60_000;

function options(timeout: number) {
  return {
    cookieName: 'pse_session',
    cookieSecure: false,
    cookieExpires: 0,
    timeout,
    collectionProbability: 0,
    lockTimeout: 30,
  };
}

describe('sliding expiry keeps a session Timeout after its last use', () => {
  let store: SqliteSessionStore;
  afterEach(() => store.close());

  async function setUp(timeout: number): Promise<{ m: SessionManager; clock: { now: number } }> {
    store = new SqliteSessionStore({ file: ':memory:' });
    const clock = { now: 1_700_000_000_000 };
    const m = new SessionManager({ store, options: options(timeout), now: () => clock.now });
    const t = await m.open({});
    await t.finish({
      ok: true,
      session: {
        id: ID,
        created: true,
        changed: new Map([['', Buffer.from('{}')]]),
        previews: { '': { t: 'dict', v: [] } },
        deleted: [],
      },
    });
    return { m, clock };
  }

  /** A request that only reads the session; true when the session was still there. */
  async function read(m: SessionManager): Promise<boolean> {
    const t = await m.open({ cookieHeader: `pse_session=${ID}` });
    const alive = t.session !== null;
    if (!t.finishAtOnce({ ok: true })) await t.finish({ ok: true });
    return alive;
  }

  for (const [timeout, every] of [
    [1, 5_000],
    [1, 59_000],
    [10, 30_000],
    [10, 9.5 * MINUTE],
    [360, 30_000],
  ] as const) {
    it(`Timeout = ${timeout} min, read every ${every / 1000} s: never expires, then goes after Timeout`, async () => {
      const { m, clock } = await setUp(timeout);
      const end = clock.now + Math.max(3 * timeout * MINUTE, 10 * every);
      while (clock.now + every <= end) {
        clock.now += every;
        expect(await read(m)).toBe(true);
      }
      clock.now += 1_000; // a last use just after another one: it writes nothing
      expect(await read(m)).toBe(true);
      // the promise: at least Timeout after the last use, and not much longer
      clock.now += timeout * MINUTE - 1;
      expect(await store.load(ID, clock.now)).not.toBeNull();
      clock.now += Math.min(MINUTE, (timeout * MINUTE) / 10) + 1;
      expect(await store.load(ID, clock.now)).toBeNull();
    });
  }

  it('a read writes the expiry at most once per tenth of Timeout', async () => {
    const { m, clock } = await setUp(1);
    let writes = 0;
    const touch = store.touch.bind(store);
    store.touch = (...a) => {
      writes++;
      return touch(...a);
    };
    for (let i = 0; i < 60; i++) {
      clock.now += 1_000;
      expect(await read(m)).toBe(true);
    }
    // 60 reads a second apart with Timeout = 1 min: a touch every 6 s
    expect(writes).toBe(10);
  });
});
