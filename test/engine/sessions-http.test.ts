/**
 * Sessions over HTTP: a real Engine with CPython workers, a real SQLite store, fetch.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { AdminError } from '../../src/engine/api/admin.js';
import type { SessionService } from '../../src/engine/session/service.js';
import { TEST_PG_URL, testSchema } from '../helpers/pg.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');

/** name → [code module, template]; the template prints `out`. */
const SERVLETS: Record<string, string> = {
  form_example: `from pse.plugins import session
form = pse.plugins.request.form
data = session.new()
if form.has_key('name'):
    data['name'] = form['name']
name = data.get('name')
`,
  named: `from pse.plugins import session
form = pse.form
op = form['op'] if form.has_key('op') else ''
if op == 'set':
    session.new('spam')['x'] = form['v']
elif op == 'del':
    session.delete('spam')
elif op == 'delstd':
    session.delete()
elif op == 'clear':
    session.new().clear()
elif op == 'std':
    session.new()['k'] = form['v']
out = repr((dict(session.new()), dict(session.new('spam'))))
`,
  counter: `from pse.plugins import session
d = session.new()
d['n'] = d.get('n', 0) + 1
out = d['n']
`,
  fail: `from pse.plugins import session
session.new()['k'] = 'changed'
raise ValueError('boom')
`,
  savefail: `from pse.plugins import session
d = session.new()
d['a'] = 'saved'
session.save()
d['b'] = 'lost'
raise RuntimeError('after save')
`,
  redirect: `from pse.plugins import session
session.new()['k'] = 'redirected'
pse.plugins.response.redirect('/elsewhere')
`,
  slow: `import time
from pse.plugins import session
session.new()['k'] = 'slow'
time.sleep(30)
`,
  crash: `import os
from pse.plugins import session
session.new()['k'] = 'crashed'
os._exit(1)
`,
  regen: `from pse.plugins import session
session.new()
old = session.id
session.regenerate()
out = old
`,
  invalidate: `from pse.plugins import session
session.invalidate()
out = 'bye'
`,
};

let app: string;
let engine: Engine;
let base: string;
let sessions: SessionService;
let storeSerial = 0;

type StoreMode = 'shared' | 'exclusive' | 'postgresql';
const pgSchema = testSchema();
afterAll(() => pgSchema.drop());

/** A fresh app and engine for one store mode (the suites below run under each). */
async function start(mode: StoreMode): Promise<void> {
  const exclusiveSessions = mode === 'exclusive';
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-session-http-'));
  fs.copyFileSync(path.join(EXAMPLES, 'session_example.pt'), path.join(app, 'session_example.pt'));
  fs.copyFileSync(path.join(EXAMPLES, 'session_example.py'), path.join(app, 'session_example.py'));
  fs.copyFileSync(path.join(EXAMPLES, 'session_example.pt'), path.join(app, 'form_example.pt'));
  for (const [name, code] of Object.entries(SERVLETS)) {
    fs.writeFileSync(path.join(app, `${name}.py`), code);
    if (name !== 'form_example') fs.writeFileSync(path.join(app, `${name}.pt`), '<?= out ?>');
  }
  fs.writeFileSync(
    path.join(app, 'pse.conf'),
    '[Main]\nRequestTimeout = 3\n\n[plugins.session]\nCollectionProbability = 0\n' +
      (mode === 'postgresql'
        ? `Type = postgresql\nDatabase = ${TEST_PG_URL}\nTable = ${pgSchema.table(`s${storeSerial++}`)}\n`
        : ''),
  );
  engine = await Engine.open(app, { workers: 2, watch: false, logFiles: false, exclusiveSessions });
  base = (await engine.listen(0)).url.replace(/\/$/, '');
  sessions = engine.sessionService!;
}

interface Got {
  status: number;
  text: string;
  cookie?: string;
  setCookie: string[];
}

async function get(url: string, cookie?: string): Promise<Got> {
  const res = await fetch(base + url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  const setCookie = res.headers.getSetCookie();
  const first = setCookie[0] ? parseSetCookie(setCookie[0]) : undefined;
  return {
    status: res.status,
    text: await res.text(),
    setCookie,
    ...(first ? { cookie: `${first.name}=${first.value}` } : {}),
  };
}

async function newSession(): Promise<string> {
  const r = await get('/named.pt?op=std&v=1');
  return r.cookie!;
}

function idOf(cookie: string): string {
  return cookie.split('=')[1]!;
}

/** The named.pt page's repr of (standard dict, spam dict), unescaped from the HTML. */
async function state(cookie: string): Promise<string> {
  return (await get('/named.pt', cookie)).text.replaceAll('&#x27;', "'");
}

// The shared store (development, Studio), the exclusive one of `pse serve --production`, which
// serves sessions from memory, and PostgreSQL (several processes): the same semantics.
const TITLES: Record<StoreMode, string> = {
  shared: 'shared session store',
  exclusive: 'exclusive session store',
  postgresql: 'PostgreSQL session store',
};
for (const mode of ['shared', 'exclusive', 'postgresql'] as const) {
  describe(TITLES[mode], () => {
    beforeAll(() => start(mode));
    afterAll(async () => {
      await engine?.close();
    });

    describe('the session example over HTTP', () => {
      for (const page of ['session_example', 'form_example']) {
        it(`${page}: stranger, then name, then the cookie alone`, async () => {
          const first = await get(`/${page}.pt`);
          expect(first.status).toBe(200);
          expect(first.text).toContain("I don't know who you are.");
          expect(first.setCookie).toEqual([]); // nothing stored: no session, no cookie
          const named = await get(`/${page}.pt?name=Nick`);
          expect(named.text).toContain('Hello, Nick!');
          const c = parseSetCookie(named.setCookie[0]!);
          expect(c).toMatchObject({
            name: 'pse_session',
            path: '/',
            httpOnly: true,
            sameSite: 'lax',
          });
          expect(c.secure).toBeFalsy();
          expect(c.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
          const again = await get(`/${page}.pt`, named.cookie);
          expect(again.text).toContain('Hello, Nick!');
          expect(again.setCookie).toEqual([]);
          // what was stored is a plain str, not the form's PSEstr
          const view = await sessions.admin.getSession(idOf(named.cookie!));
          expect(view.namespaceViews[0]!.preview).toEqual({
            t: 'dict',
            v: [['name', { t: 'str', v: 'Nick' }]],
          });
        });
      }
    });

    describe('session semantics over HTTP', () => {
      it('named namespaces, delete(name), clear()', async () => {
        const cookie = await newSession();
        await get('/named.pt?op=set&v=eggs', cookie);
        expect(await state(cookie)).toContain("({'k': '1'}, {'x': 'eggs'})");
        await get('/named.pt?op=del', cookie);
        expect(await state(cookie)).toContain("({'k': '1'}, {})");
        expect((await sessions.admin.getSession(idOf(cookie))).namespaces).toEqual(['']);
        await get('/named.pt?op=clear', cookie);
        expect(await state(cookie)).toContain('({}, {})');
      });

      it('delete() of the standard dictionary fails clearly and changes nothing', async () => {
        const cookie = await newSession();
        await get('/named.pt?op=set&v=eggs', cookie);
        const r = await get('/named.pt?op=delstd', cookie);
        expect(r.status).toBe(500);
        expect(r.text).toContain('standard session dictionary cannot be deleted');
        expect(await state(cookie)).toContain("({'k': '1'}, {'x': 'eggs'})");
      });

      it('an exception rolls everything back, and the journal says why', async () => {
        const cookie = await newSession();
        const r = await get('/fail.pt', cookie);
        expect(r.status).toBe(500);
        expect(await state(cookie)).toContain("({'k': '1'}, {})");
        const entry = (await sessions.journal.list({ sessionId: idOf(cookie), path: 'fail' }))[0]!;
        expect(entry.outcome).toBe('rolled_back');
        expect(entry.changes).toEqual([]);
        expect(entry.cause).toMatchObject({
          kind: 'exception',
          type: 'ValueError',
          message: 'boom',
          line: 3,
        });
        expect(entry.cause!.file).toMatch(/fail\.py$/);
        expect(entry.discarded?.[0]?.diff).toEqual({ added: [], removed: [], changed: ['k'] });
      });

      it('save() then an exception keeps only what was saved', async () => {
        const cookie = await newSession();
        expect((await get('/savefail.pt', cookie)).status).toBe(500);
        const view = await sessions.admin.getSession(idOf(cookie));
        expect(view.namespaceViews[0]!.preview).toEqual({
          t: 'dict',
          v: [
            ['k', { t: 'str', v: '1' }],
            ['a', { t: 'str', v: 'saved' }],
          ],
        });
        const entry = (
          await sessions.journal.list({ sessionId: idOf(cookie), path: 'savefail' })
        )[0]!;
        expect(entry.outcome).toBe('partially_committed');
        expect(entry.saves).toHaveLength(1);
        expect(entry.saves[0]!.changes[0]!.diff.added).toEqual(['a']);
        expect(entry.discarded?.[0]?.diff.added).toEqual(['b']);
      });

      it('a save() in a new session creates it and sets the cookie even when the page then fails', async () => {
        const r = await get('/savefail.pt');
        expect(r.status).toBe(500);
        expect(r.cookie).toBeDefined();
        expect(await state(r.cookie!)).toContain("({'a': 'saved'}, {})");
      });

      it('a redirect commits', async () => {
        const cookie = await newSession();
        const r = await get('/redirect.pt', cookie);
        expect(r.status).toBe(302);
        expect(await state(cookie)).toContain("'k': 'redirected'");
        expect(
          (await sessions.journal.list({ sessionId: idOf(cookie), path: 'redirect' }))[0]!.outcome,
        ).toBe('committed');
      });

      it('a timeout rolls back', async () => {
        const cookie = await newSession();
        const r = await get('/slow.pt', cookie);
        expect(r.status).toBe(504);
        expect(await state(cookie)).toContain("({'k': '1'}, {})");
        const entry = (await sessions.journal.list({ sessionId: idOf(cookie), path: 'slow' }))[0]!;
        expect(entry.outcome).toBe('rolled_back');
        expect(entry.cause?.kind).toBe('timeout');
      });

      it('a worker crash rolls back', async () => {
        const cookie = await newSession();
        const r = await get('/crash.pt', cookie);
        expect(r.status).toBe(502);
        expect(await state(cookie)).toContain("({'k': '1'}, {})");
        const entry = (await sessions.journal.list({ sessionId: idOf(cookie), path: 'crash' }))[0]!;
        expect(entry.outcome).toBe('rolled_back');
        expect(entry.cause?.kind).toBe('crash');
      });

      it('a dry run (Studio preview) commits nothing, not even save()', async () => {
        const cookie = await newSession();
        const r = await engine.handle({
          method: 'GET',
          url: '/savefail.pt',
          headers: { cookie },
          preview: { dry: true },
        });
        expect(r.status).toBe(500);
        const ok = await engine.handle({
          method: 'GET',
          url: '/named.pt?op=set&v=dry',
          headers: { cookie },
          preview: { dry: true },
        });
        expect(ok.body.toString()).toContain('&#x27;x&#x27;: &#x27;dry&#x27;');
        expect(ok.headers.some(([k]) => k.toLowerCase() === 'set-cookie')).toBe(false);
        expect(await state(cookie)).toContain("({'k': '1'}, {})");
        const fresh = await engine.handle({
          method: 'GET',
          url: '/session_example.pt?name=Dry',
          preview: { dry: true },
        });
        expect(fresh.headers.some(([k]) => k.toLowerCase() === 'set-cookie')).toBe(false);
        const entry = (
          await sessions.journal.list({
            sessionId: idOf(cookie),
            path: 'named',
            outcome: 'preview',
          })
        )[0]!;
        expect(entry).toBeDefined();
        expect(entry.changes[0]).toMatchObject({ name: 'spam', diff: { added: ['x'] } });
      });

      it('200 concurrent increments of one session end at exactly 200', async () => {
        const first = await get('/counter.pt');
        expect(first.text).toBe('1');
        const cookie = first.cookie!;
        await Promise.all(Array.from({ length: 199 }, () => get('/counter.pt', cookie)));
        expect((await get('/counter.pt', cookie)).text).toBe('201');
      });

      it('never adopts forged, malformed, expired or foreign ids', async () => {
        const forged = 'Q'.repeat(43);
        for (const cookie of [
          `pse_session=${forged}`,
          'pse_session=short',
          'pse_session=../../etc',
          `other_app=${forged}`,
        ]) {
          const r = await get('/session_example.pt?name=Eve', cookie);
          expect(r.text).toContain('Hello, Eve!');
          expect(r.cookie).toBeDefined();
          expect(idOf(r.cookie!)).not.toBe(forged);
        }
        await expect(sessions.admin.getSession(forged)).rejects.toBeInstanceOf(AdminError);
        const cookie = await newSession();
        const view = await sessions.admin.getSession(idOf(cookie));
        await sessions.admin.expireSession(idOf(cookie), view.version);
        const r = await get('/session_example.pt', cookie);
        expect(r.text).toContain("I don't know who you are.");
        const again = await get('/session_example.pt?name=Mallory', cookie);
        expect(idOf(again.cookie!)).not.toBe(idOf(cookie));
        expect(await sessions.manager.sweep()).toBeGreaterThanOrEqual(1);
        expect((await sessions.admin.listSessions({ id: idOf(cookie) })).total).toBe(0);
      });

      it('regenerate() and invalidate()', async () => {
        const cookie = await newSession();
        const r = await get('/regen.pt', cookie);
        expect(r.text).toBe(idOf(cookie));
        expect(r.cookie).toBeDefined();
        expect(r.cookie).not.toBe(cookie);
        expect(await state(r.cookie!)).toContain("({'k': '1'}, {})");
        expect(await state(cookie)).toContain('({}, {})');
        const bye = await get('/invalidate.pt', r.cookie!);
        expect(parseSetCookie(bye.setCookie[0]!)).toMatchObject({
          name: 'pse_session',
          value: '',
          maxAge: 0,
        });
        expect(await state(r.cookie!)).toContain('({}, {})');
      });

      it('journals committed and read-only requests with key-level diffs', async () => {
        const cookie = await newSession();
        await get('/named.pt?op=set&v=eggs', cookie);
        await get('/named.pt', cookie);
        const [read, write] = await sessions.journal.list({
          sessionId: idOf(cookie),
          path: 'named',
          limit: 2,
        });
        expect(read!.outcome).toBe('read_only');
        expect(write!.outcome).toBe('committed');
        expect(write!.changes).toEqual([
          expect.objectContaining({
            name: 'spam',
            before: null,
            diff: { added: ['x'], removed: [], changed: [] },
            version: 1,
          }),
        ]);
        expect(write!.query).toBe('op=set&v=eggs');
        expect(write!.request?.cookies).toEqual({ pse_session: idOf(cookie) });
        expect(write!.response?.status).toBe(200);
        expect(write!.restorable).toEqual([{ name: 'spam', before: false, after: true }]);
      });
    });
  });
}

describe('cookie options from pse.conf', () => {
  it('CookieName, CookieSecure and CookieExpires shape the cookie', async () => {
    const app2 = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-session-cookie-'));
    for (const f of ['session_example.pt', 'session_example.py']) {
      fs.copyFileSync(path.join(EXAMPLES, f), path.join(app2, f));
    }
    fs.writeFileSync(
      path.join(app2, 'pse.conf'),
      '[plugins.session]\nCookieName = sid\nCookieSecure = yes\nCookieExpires = 30\nFile = data/s.db\nLockTimeout = 0.3\n',
    );
    fs.writeFileSync(path.join(app2, 'hold.py'), 'import time\ntime.sleep(1.5)\n');
    fs.writeFileSync(path.join(app2, 'hold.pt'), 'held');
    const e2 = await Engine.open(app2, { workers: 2, watch: false, logFiles: false });
    try {
      const first = await e2.handle({ method: 'GET', url: '/session_example.pt?name=Sec' });
      const set = first.headers.filter(([k]) => k.toLowerCase() === 'set-cookie').map(([, v]) => v);
      const c = parseSetCookie(set[0]!);
      expect(c).toMatchObject({
        name: 'sid',
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure: true,
        maxAge: 1800,
      });
      expect(fs.existsSync(path.join(app2, 'data', 's.db'))).toBe(true);
      // a cookie with a lifetime slides: it is sent again on the next visit
      const again = await e2.handle({
        method: 'GET',
        url: '/session_example.pt',
        headers: { cookie: `sid=${c.value}` },
      });
      expect(again.body.toString()).toContain('Hello, Sec!');
      expect(
        again.headers.some(
          ([k, v]) => k.toLowerCase() === 'set-cookie' && v.includes('Max-Age=1800'),
        ),
      ).toBe(true);
      // a request that waits longer than LockTimeout for its session gets 503
      const cookie = { cookie: `sid=${c.value}` };
      const holding = e2.handle({ method: 'GET', url: '/hold.pt', headers: cookie });
      // wait until the slow page holds the session
      while (e2.sessionService!.manager.locks.depth(c.value!) === 0) {
        await new Promise((r) => setTimeout(r, 5));
      }
      const waiting = await e2.handle({
        method: 'GET',
        url: '/session_example.pt',
        headers: cookie,
      });
      expect(waiting.status).toBe(503);
      expect(waiting.body.toString()).toMatch(/busy with another request/);
      expect((await holding).status).toBe(200);
      const entry = (
        await e2.sessionService!.journal.list({ path: 'session_example', limit: 5 })
      ).find((x) => x.status === 503);
      expect(entry).toMatchObject({ outcome: 'rolled_back', cause: { kind: 'lock_timeout' } });
      expect(entry!.cause!.message).toMatch(/busy with another request/);
    } finally {
      await e2.close();
    }
  });
});
