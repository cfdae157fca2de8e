import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSetCookie } from 'cookie';
import { SessionManager } from '../../src/engine/session/manager.js';
import type { SessionResult } from '../../src/engine/session/result.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import { LockTimeoutError } from '../../src/engine/session/locks.js';
import type { PreviewValue as Preview } from '../../src/common/types/session.js';

const NEW_ID = 'N'.repeat(43);
const NEW_ID2 = 'M'.repeat(43);
const OPTIONS = {
  cookieName: 'pse_session',
  cookieSecure: false,
  cookieExpires: 0,
  timeout: 60,
  collectionProbability: 0,
  lockTimeout: 30,
};

/** Namespaces in these tests are JSON dicts; a real worker sends pickles, opaque to Node. */
function ns(v: Record<string, unknown>): Buffer {
  return Buffer.from(JSON.stringify(v));
}
function previewOf(v: Record<string, unknown>): Preview {
  return { t: 'dict', v: Object.entries(v).map(([k, x]) => [k, { t: 'str', v: String(x) }]) };
}
function result(
  id: string,
  changed: Record<string, Record<string, unknown>>,
  extra: Partial<SessionResult> = {},
): SessionResult {
  return {
    id,
    created: false,
    changed: new Map(Object.entries(changed).map(([k, v]) => [k, ns(v)])),
    previews: Object.fromEntries(Object.entries(changed).map(([k, v]) => [k, previewOf(v)])),
    deleted: [],
    ...extra,
  };
}
function cookieOf(setCookie: string[] | undefined): string {
  const c = parseSetCookie(setCookie![0]!);
  return `${c.name}=${c.value}`;
}

describe('SessionManager', () => {
  let store: SqliteSessionStore;
  let now: number;
  let m: SessionManager;
  beforeEach(() => {
    store = new SqliteSessionStore({ file: ':memory:' });
    now = 1_700_000_000_000;
    m = new SessionManager({ store, options: OPTIONS, now: () => now });
  });
  afterEach(() => store.close());

  async function create(
    data: Record<string, unknown> = { name: 'Nick' },
    id = NEW_ID,
  ): Promise<string> {
    const t = await m.open({});
    const { setCookie } = await t.finish({
      ok: true,
      session: result(id, { '': data }, { created: true }),
    });
    return cookieOf(setCookie);
  }

  it('creates a session only when something is stored, and sets a proper cookie', async () => {
    const t = await m.open({});
    expect(t.session).toBeNull();
    const nothing = await t.finish({ ok: true });
    expect(nothing.setCookie).toBeUndefined();
    expect(nothing.trace.outcome).toBe('read_only');

    const t2 = await m.open({});
    const { setCookie, trace } = await t2.finish({
      ok: true,
      session: result(NEW_ID, { '': { name: 'Nick' } }, { created: true }),
    });
    expect(setCookie).toHaveLength(1);
    const c = parseSetCookie(setCookie![0]!);
    expect(c).toMatchObject({
      name: 'pse_session',
      value: NEW_ID,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
    });
    expect(c.secure).toBeFalsy();
    expect(c.maxAge).toBeUndefined();
    expect(trace.outcome).toBe('committed');
    expect(trace.changes).toEqual([
      {
        name: '',
        before: null,
        after: previewOf({ name: 'Nick' }),
        diff: { added: ['name'], removed: [], changed: [] },
        version: 1,
      },
    ]);
    expect(trace.pickles.get('')).toEqual({ before: null, after: ns({ name: 'Nick' }) });
  });

  it('loads the session of a valid cookie and commits changes with versions', async () => {
    const cookie = await create();
    const t = await m.open({ cookieHeader: `other=1; ${cookie}` });
    expect(t.session?.id).toBe(NEW_ID);
    expect(t.session?.ns.get('')?.toString()).toBe('{"name":"Nick"}');
    const { setCookie, trace } = await t.finish({
      ok: true,
      session: result(NEW_ID, { '': { name: 'Ann' }, cart: { n: 1 } }),
    });
    expect(setCookie).toBeUndefined(); // a browser-session cookie is not re-sent
    expect(trace.outcome).toBe('committed');
    expect(trace.changes.find((c) => c.name === '')?.diff).toEqual({
      added: [],
      removed: [],
      changed: ['name'],
    });
    const s = await store.load(NEW_ID, now);
    expect(s?.version).toBe(2);
    expect(s?.ns.get('cart')?.pickle.toString()).toBe('{"n":1}');
  });

  it('ignores malformed, unknown and expired ids, and never adopts them', async () => {
    await create();
    const forged = 'F'.repeat(43);
    for (const header of [
      'pse_session=short',
      `pse_session=${forged}`,
      `pse_session=${NEW_ID}x`,
      'pse_session=%ZZ',
      '=;;;',
    ]) {
      const t = await m.open({ cookieHeader: header });
      expect(t.session).toBeNull();
      // The worker makes a fresh id for the new session; the forged one is never used.
      const { setCookie } = await t.finish({
        ok: true,
        session: result(NEW_ID2, { '': { a: 1 } }, { created: true }),
      });
      expect(cookieOf(setCookie)).toBe(`pse_session=${NEW_ID2}`);
      expect(await store.load(forged, now)).toBeNull();
      await store.delete(NEW_ID2);
    }
    now += 61 * 60_000;
    const t = await m.open({ cookieHeader: `pse_session=${NEW_ID}` });
    expect(t.session).toBeNull();
    await t.finish({ ok: true });
  });

  it('refuses a malformed id from the worker', async () => {
    const t = await m.open({});
    await expect(
      t.finish({ ok: true, session: result('bad id', { '': { a: 1 } }, { created: true }) }),
    ).rejects.toThrow(/malformed new session id/);
  });

  it('rolls back a failed request and reports what it discarded', async () => {
    const cookie = await create({ n: 1 });
    const t = await m.open({ cookieHeader: cookie });
    const failed = result(NEW_ID, {}, { previews: { '': previewOf({ n: 2 }) } });
    const { trace } = await t.finish({ ok: false, session: failed });
    expect(trace.outcome).toBe('rolled_back');
    expect(trace.changes).toEqual([]);
    expect(trace.discarded?.[0]?.diff).toEqual({ added: [], removed: [], changed: ['n'] });
    expect((await store.load(NEW_ID, now))?.ns.get('')?.pickle.toString()).toBe('{"n":1}');
  });

  it('keeps what save() committed when the request then fails', async () => {
    const cookie = await create({ n: 1 });
    const t = await m.open({ cookieHeader: cookie });
    await t.save(result(NEW_ID, { '': { n: 2 } }));
    expect((await store.load(NEW_ID, now))?.ns.get('')?.pickle.toString()).toBe('{"n":2}');
    const { trace } = await t.finish({ ok: false });
    expect(trace.outcome).toBe('partially_committed');
    expect(trace.saves).toHaveLength(1);
    expect(trace.saves[0]!.changes[0]!.diff.changed).toEqual(['n']);
    expect((await store.load(NEW_ID, now))?.ns.get('')?.pickle.toString()).toBe('{"n":2}');
  });

  it('creates a session at save() and then commits the rest', async () => {
    const t = await m.open({});
    await t.save(result(NEW_ID, { '': { a: 1 } }, { created: true }));
    const { setCookie, trace } = await t.finish({
      ok: true,
      session: result(NEW_ID, { '': { a: 1, b: 2 } }),
    });
    expect(cookieOf(setCookie)).toBe(`pse_session=${NEW_ID}`);
    expect(trace.changes[0]).toMatchObject({ before: null, diff: { added: ['a', 'b'] } });
    expect((await store.load(NEW_ID, now))?.version).toBe(2);
  });

  it('commits nothing in a dry run, not even save()', async () => {
    const cookie = await create({ n: 1 });
    const t = await m.open({ cookieHeader: cookie, dry: true });
    expect(t.dry).toBe(true);
    expect(t.session?.id).toBe(NEW_ID);
    expect(m.locks.depth(NEW_ID)).toBe(0); // a dry run does not hold the session
    await t.save(result(NEW_ID, { '': { n: 2 } }));
    const { setCookie, trace } = await t.finish({
      ok: true,
      session: result(NEW_ID, { '': { n: 3 }, x: { y: 1 } }),
    });
    expect(setCookie).toBeUndefined();
    expect(trace.outcome).toBe('preview');
    expect(trace.changes.map((c) => c.name).sort()).toEqual(['', 'x']);
    const s = await store.load(NEW_ID, now);
    expect(s?.version).toBe(1);
    expect(s?.ns.get('')?.pickle.toString()).toBe('{"n":1}');
    expect(s?.ns.has('x')).toBe(false);
  });

  it('runs a dry run against a snapshot or a chosen session', async () => {
    await create({ n: 1 });
    const snap = await m.open({
      dry: true,
      snapshot: { id: NEW_ID, ns: new Map([['', ns({ n: 0 })]]) },
    });
    expect(snap.session?.ns.get('')?.toString()).toBe('{"n":0}');
    await snap.finish({ ok: true, session: result(NEW_ID, { '': { n: 5 } }) });
    const chosen = await m.open({ dry: true, sessionId: NEW_ID });
    expect(chosen.session?.ns.get('')?.toString()).toBe('{"n":1}');
    await chosen.finish({ ok: true });
    expect((await store.load(NEW_ID, now))?.ns.get('')?.pickle.toString()).toBe('{"n":1}');
    await expect(m.open({ sessionId: NEW_ID })).rejects.toThrow(/dry runs only/);
  });

  it('serializes requests of one session: no lost update', async () => {
    const cookie = await create({ n: 0 });
    const one = async (): Promise<void> => {
      const t = await m.open({ cookieHeader: cookie });
      const n = (JSON.parse(t.session!.ns.get('')!.toString()) as { n: number }).n;
      await new Promise((r) => setImmediate(r));
      await t.finish({ ok: true, session: result(t.session!.id, { '': { n: n + 1 } }) });
    };
    await Promise.all(Array.from({ length: 50 }, one));
    expect((await store.load(NEW_ID, now))?.ns.get('')?.pickle.toString()).toBe('{"n":50}');
  });

  it('times out a request that waits too long for its session', async () => {
    m = new SessionManager({ store, options: { ...OPTIONS, lockTimeout: 0.02 }, now: () => now });
    const cookie = await create();
    const holder = await m.open({ cookieHeader: cookie });
    await expect(m.open({ cookieHeader: cookie })).rejects.toBeInstanceOf(LockTimeoutError);
    await holder.finish({ ok: true });
    const again = await m.open({ cookieHeader: cookie });
    await again.finish({ ok: true });
  });

  it('invalidates: deletes the session and its cookie', async () => {
    const cookie = await create();
    const t = await m.open({ cookieHeader: cookie });
    const { setCookie, trace } = await t.finish({
      ok: true,
      session: result(NEW_ID, {}, { invalidated: true, deleted: [''] }),
    });
    const c = parseSetCookie(setCookie![0]!);
    expect(c).toMatchObject({ name: 'pse_session', value: '', maxAge: 0 });
    expect(trace.changes[0]).toMatchObject({ name: '', after: null, diff: { removed: ['name'] } });
    expect(await store.load(NEW_ID, now)).toBeNull();
  });

  it('regenerates: same data under a new id, the old id dead', async () => {
    const cookie = await create();
    const t = await m.open({ cookieHeader: cookie });
    const { setCookie } = await t.finish({
      ok: true,
      session: result(NEW_ID, {}, { regenerated: NEW_ID2 }),
    });
    expect(cookieOf(setCookie)).toBe(`pse_session=${NEW_ID2}`);
    expect(await store.load(NEW_ID, now)).toBeNull();
    expect((await store.load(NEW_ID2, now))?.ns.get('')?.pickle.toString()).toBe('{"name":"Nick"}');
  });

  it('slides expiry and re-sends a cookie that has a lifetime', async () => {
    m = new SessionManager({
      store,
      options: { ...OPTIONS, cookieExpires: 30, cookieSecure: true },
      now: () => now,
    });
    const cookie = await create();
    for (let i = 0; i < 3; i++) {
      now += 50 * 60_000; // within the 60-minute timeout each time
      const t = await m.open({ cookieHeader: cookie });
      expect(t.session).not.toBeNull();
      const { setCookie } = await t.finish({ ok: true });
      const c = parseSetCookie(setCookie![0]!);
      expect(c).toMatchObject({
        value: NEW_ID,
        maxAge: 1800,
        secure: true,
        httpOnly: true,
        sameSite: 'lax',
      });
    }
  });

  it('sweeps expired sessions off the request path', async () => {
    await create();
    now += 61 * 60_000;
    m = new SessionManager({
      store,
      options: { ...OPTIONS, collectionProbability: 1000 },
      now: () => now,
      random: () => 0.5,
    });
    const t = await m.open({});
    expect(await store.sweep(0)).toBe(0); // nothing swept synchronously inside open()
    await t.finish({ ok: true });
    await new Promise((r) => setTimeout(r, 20));
    expect((await store.list({}, 0)).total).toBe(0);
  });

  /** The promise-free path of the server: `openWithoutCookie` and `finishAtOnce`. */
  describe('without a promise', () => {
    it('opens at once for a request without a session cookie, and finishes at once', () => {
      for (const header of [undefined, '', 'other=1', 'pse_session=not-an-id']) {
        const t = m.openWithoutCookie(m.readCookie(header))!;
        expect(t.session).toBeNull();
        const fin = t.finishAtOnce({ ok: true })!;
        expect(fin.setCookie).toBeUndefined();
        expect(fin.trace).toMatchObject({ sessionId: null, outcome: 'read_only', changes: [] });
        expect(() => t.finishAtOnce({ ok: true })).toThrow(/twice/);
      }
    });

    it('leaves a request with a well-formed session id to open()', () => {
      expect(m.openWithoutCookie(m.readCookie(`pse_session=${NEW_ID}`))).toBeNull();
    });

    it('does not finish at once when there is something to store; finish() then commits', async () => {
      const t = m.openWithoutCookie(m.readCookie(undefined))!;
      expect(
        t.finishAtOnce({ ok: true, session: result(NEW_ID, { '': { a: 1 } }, { created: true }) }),
      ).toBeNull();
      const fin = await t.finish({
        ok: true,
        session: result(NEW_ID, { '': { a: 1 } }, { created: true }),
      });
      expect(fin.trace.outcome).toBe('committed');
      expect(fin.setCookie?.[0]).toContain(NEW_ID);
      expect(await store.load(NEW_ID, now)).not.toBeNull();
    });

    it('finishes a read at once, unless the expiry is due to slide', async () => {
      await (
        await m.open({})
      ).finish({ ok: true, session: result(NEW_ID, { '': { a: 1 } }, { created: true }) });
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
  describe('a request that follows another of its session (follow)', () => {
    const readN = (t: { session: { ns: Map<string, unknown> } | null }): number =>
      (JSON.parse(String(t.session!.ns.get(''))) as { n: number }).n;

    it('gets the session as the one before it left it, without loading it again', async () => {
      const cookie = await create({ n: 1 });
      const first = await m.open({ cookieHeader: cookie });
      const turn = m.follow(first.place!, m.readCookie(cookie))!;
      expect(turn).not.toBeNull();
      expect(turn.deadline).toBeGreaterThan(Date.now() + 29_000);
      // a third follows the second before either has its ticket
      const third = m.follow(turn.place, m.readCookie(cookie))!;
      expect(third).not.toBeNull();
      let loads = 0;
      const load = store.load.bind(store);
      store.load = (...a) => (loads++, load(...a));
      await first.finish({ ok: true, session: result(NEW_ID, { '': { n: 2 } }) });
      const second = await turn.ticket;
      expect(second.continued).toBe(true);
      expect(second.queued).toBe(true);
      expect(readN(second)).toBe(2);
      await second.finish({ ok: false }); // a failure hands on the session as it was
      const last = await third.ticket;
      expect(last.continued).toBe(true);
      expect(readN(last)).toBe(2);
      await last.finish({ ok: true, session: result(NEW_ID, { '': { n: 3 } }) });
      expect(loads).toBe(0);
      expect((await store.load(NEW_ID, now))?.ns.get('')?.pickle.toString()).toBe('{"n":3}');
    });

    it('follows only directly behind a request of the same session, in one process', async () => {
      const cookie = await create({ n: 1 });
      const other = await create({ n: 9 }, NEW_ID2);
      const first = await m.open({ cookieHeader: cookie });
      expect(m.follow(first.place!, m.readCookie(other))).toBeNull();
      expect(m.follow(first.place!, m.readCookie(''))).toBeNull();
      // Studio (or a request waiting in Node) queued in between: nobody follows past it
      const edit = m.lockSession(NEW_ID);
      expect(m.follow(first.place!, m.readCookie(cookie))).toBeNull();
      await first.finish({ ok: true });
      (await edit)();
      // a dry run holds no place; nor does a store shared with other processes
      const dry = await m.open({ cookieHeader: cookie, dry: true });
      expect(dry.place).toBeNull();
      await dry.finish({ ok: true });
      const shared = new SessionManager({
        store,
        options: OPTIONS,
        crossProcessLock: {
          acquire: () => Promise.resolve(() => undefined),
          close: async () => {},
        },
      });
      const held = await shared.open({ cookieHeader: cookie });
      expect(held.place).toBeNull();
      await held.finish({ ok: true });
    });

    it('loads the session from the store when the one before could not commit', async () => {
      const cookie = await create({ n: 1 });
      const first = await m.open({ cookieHeader: cookie });
      const turn = m.follow(first.place!, m.readCookie(cookie))!;
      const commit = store.commit.bind(store);
      store.commit = () => Promise.reject(new Error('disk full'));
      await expect(
        first.finish({ ok: true, session: result(NEW_ID, { '': { n: 2 } }) }),
      ).rejects.toThrow('disk full');
      store.commit = commit;
      const second = await turn.ticket;
      expect(second.continued).toBe(false);
      expect(readN(second)).toBe(1);
      await second.finish({ ok: true });
    });

    it('is not continued after a request that left the queue, nor after a retired id', async () => {
      m = new SessionManager({ store, options: { ...OPTIONS, lockTimeout: 0.02 }, now: () => now });
      const cookie = await create({ n: 1 });
      const first = await m.open({ cookieHeader: cookie });
      const second = m.follow(first.place!, m.readCookie(cookie))!;
      await new Promise((r) => setTimeout(r, 50)); // the third's LockTimeout ends well after
      const third = m.follow(second.place, m.readCookie(cookie))!;
      // the second gives up (LockTimeout plus the grace): the third is granted by the first
      await expect(second.ticket).rejects.toBeInstanceOf(LockTimeoutError);
      const late = third.ticket.catch((e: unknown) => e);
      await first.finish({ ok: true });
      const t = await late;
      if (t instanceof Error) throw t;
      expect((t as Awaited<typeof third.ticket>).continued).toBe(false);
      await (t as Awaited<typeof third.ticket>).finish({ ok: true });
      // regenerate() retires the id: the next request's cookie names no session any more
      const again = await m.open({ cookieHeader: cookie });
      const next = m.follow(again.place!, m.readCookie(cookie))!;
      await again.finish({
        ok: true,
        session: result(NEW_ID, {}, { regenerated: NEW_ID2 }),
      });
      const after = await next.ticket;
      expect(after.continued).toBe(false);
      expect(after.session).toBeNull();
      await after.finish({ ok: true });
    });
  });
});
