/**
 * The engine's session gaps, closed: a session cookie on a streamed page, Studio preview against
 * a chosen session state, session options applied by a pse.conf reload, preview overrides that
 * reach included files, and the console's log level. Real Engine, CPython workers, SQLite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleLogLevel, Engine, type LogLine } from '../../src/engine/index.js';
import type { SessionService } from '../../src/engine/session/service.js';

/** name → code module; each template prints `out`. */
const SERVLETS: Record<string, string> = {
  counter: `from pse.plugins import session
d = session.new()
d['n'] = d.get('n', 0) + 1
out = d['n']
`,
  // uses the session, streams, then stores: the cookie must be in the streamed head
  flush_first: `from pse.plugins import session
d = session.new()
pse.flush()
d['n'] = d.get('n', 0) + 1
out = d['n']
`,
  // first touches the session after the head went out: no cookie can follow
  flush_late: `from pse.plugins import session
pse.flush()
session.new()['late'] = 1
out = 'late'
`,
  flush_regen: `from pse.plugins import session
session.new()['k'] = 1
pse.flush()
session.regenerate()
out = 'regenerated'
`,
  stream_plain: `pse.flush()
out = 'no session here'
`,
  show: `from pse.plugins import session
out = ' '.join('%s=%r' % kv for kv in sorted(session.new().items()))
`,
  uses_part: `pse.include('part')
out = ''
`,
  calls_part: `out = pse.call('part')
`,
};

let app: string;
let engine: Engine;
let base: string;
let sessions: SessionService;
const logs: LogLine[] = [];

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(app, rel)), { recursive: true });
  fs.writeFileSync(path.join(app, rel), text);
}

const CONF = (extra = ''): string =>
  `[Main]\nRequestTimeout = 5\nIncludePath = parts\n\n[plugins.session]\nCollectionProbability = 0\n${extra}`;

beforeAll(async () => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-engine-gaps-'));
  for (const [name, code] of Object.entries(SERVLETS)) {
    write(`${name}.py`, code);
    write(`${name}.pt`, '<?= out ?>');
  }
  write('parts/part.pt', 'part on disk <?= part_value() ?>');
  write('parts/part.py', "def part_value():\n    return 'disk'\n");
  write('pse.conf', CONF());
  engine = await Engine.open(app, { workers: 1, watch: false, log: (l) => logs.push(l) });
  base = (await engine.listen(0)).url.replace(/\/$/, '');
  sessions = engine.sessionService!;
});

afterAll(async () => {
  await engine?.close();
  fs.rmSync(app, { recursive: true, force: true });
});

interface Got {
  status: number;
  text: string;
  setCookie: string[];
}

async function get(url: string, cookie?: string): Promise<Got> {
  const res = await fetch(base + url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: res.status, setCookie: res.headers.getSetCookie(), text: await res.text() };
}

function cookieOf(setCookie: string): string {
  const c = parseSetCookie(setCookie);
  return `${c.name}=${c.value}`;
}

async function untilLogged(re: RegExp): Promise<LogLine> {
  for (let i = 0; i < 200; i++) {
    const hit = logs.find((l) => re.test(l.text));
    if (hit) return hit;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line matches ${re}; got:\n${logs.map((l) => l.text).join('\n')}`);
}

describe('a session cookie on a streamed page (pse.flush())', () => {
  it('a session used before the first flush sends its cookie in the streamed head, once', async () => {
    const r = await get('/flush_first.pt');
    expect(r.status).toBe(200);
    expect(r.text).toBe('1');
    expect(r.setCookie).toHaveLength(1);
    const sc = parseSetCookie(r.setCookie[0]!);
    expect(sc.name).toBe('pse_session'); // the default CookieName
    expect(sc.httpOnly).toBe(true);
    expect(sc.sameSite).toBe('lax');
    // Node adopted the id the worker sent: the session exists under it and the cookie works
    const stored = await sessions.manager.store.load(sc.value!, Date.now());
    expect(stored).not.toBeNull();
    const cookie = cookieOf(r.setCookie[0]!);
    expect((await get('/flush_first.pt', cookie)).text).toBe('2');
    expect((await get('/counter.pt', cookie)).text).toBe('3');
  });

  it('a page that streams without touching the session sets no cookie', async () => {
    const r = await get('/stream_plain.pt');
    expect(r.text).toBe('no session here');
    expect(r.setCookie).toEqual([]);
  });

  it('a session first used after the flush is committed, and a WARNING names the page', async () => {
    const before = (await sessions.admin.listSessions({})).total;
    const r = await get('/flush_late.pt');
    expect(r.status).toBe(200);
    expect(r.setCookie).toEqual([]);
    expect((await sessions.admin.listSessions({})).total).toBe(before + 1);
    const line = await untilLogged(/flush_late\.pt stored a new session after pse\.flush\(\)/);
    expect(line.level).toBe('WARNING');
  });

  it('regenerate() after the cookie went out fails the page instead of losing the session', async () => {
    const r = await get('/flush_regen.pt');
    // streamed: the status is already out; the error is in the error log
    await untilLogged(/regenerate\(\) after pse\.flush\(\)/);
    expect(r.setCookie).toHaveLength(1);
    const cookie = cookieOf(r.setCookie[0]!);
    // rolled back: the session the cookie names was never created
    expect(await sessions.manager.store.load(cookie.split('=')[1]!, Date.now())).toBeNull();
  });
});

describe('Studio preview against a chosen session state (dry runs)', () => {
  async function newSession(): Promise<{ cookie: string; id: string }> {
    const r = await get('/counter.pt');
    const cookie = cookieOf(r.setCookie[0]!);
    return { cookie, id: cookie.split('=')[1]! };
  }

  function preview(
    url: string,
    session: NonNullable<Parameters<Engine['handle']>[0]['preview']>['session'],
  ) {
    return engine.handle({ method: 'GET', url, preview: { dry: true, session } });
  }

  it("runs against a stored session's current state by id, committing nothing", async () => {
    const { cookie, id } = await newSession();
    await get('/counter.pt', cookie); // n = 2
    const r = await preview('/counter.pt', { id });
    expect(r.body.toString()).toBe('3');
    expect(r.headers.some(([k]) => k.toLowerCase() === 'set-cookie')).toBe(false);
    expect((await get('/show.pt', cookie)).text).toBe('n=2');
  });

  it("'fresh' and 'none' ignore the request's cookie and start with no stored session", async () => {
    const { cookie } = await newSession();
    for (const choice of ['fresh', 'none'] as const) {
      const r = await engine.handle({
        method: 'GET',
        url: '/counter.pt',
        headers: { cookie },
        preview: { dry: true, session: choice },
      });
      expect(r.body.toString()).toBe('1');
    }
    expect((await get('/show.pt', cookie)).text).toBe('n=1');
    // the default still follows the cookie
    const r = await engine.handle({
      method: 'GET',
      url: '/counter.pt',
      headers: { cookie },
      preview: { dry: true },
    });
    expect(r.body.toString()).toBe('2');
  });

  it('runs against a copy of a past state from the journal (before / after a request)', async () => {
    const { cookie, id } = await newSession(); // n = 1
    await get('/counter.pt', cookie); // n = 2
    await get('/counter.pt', cookie); // n = 3
    sessions.journal.flush();
    const entries = await sessions.admin.journal({
      sessionId: id,
      outcome: 'committed',
      limit: 10,
    });
    const second = entries.find((e) =>
      e.changes.some((c) => JSON.stringify(c.after).includes('"2"')),
    );
    expect(second).toBeDefined();
    const before = await preview('/show.pt', {
      snapshot: { serial: second!.serial, phase: 'before' },
    });
    expect(before.body.toString()).toBe('n=1');
    const after = await preview('/counter.pt', {
      snapshot: { serial: second!.serial, phase: 'after' },
    });
    expect(after.body.toString()).toBe('3');
    // nothing committed: the live session is still at 3
    expect((await get('/show.pt', cookie)).text).toBe('n=3');
  });

  it('hands back the state a dry run left, and runs against it when given it, storing nothing', async () => {
    const stored = (await sessions.admin.listSessions({})).total;
    const first = await preview('/counter.pt', 'none');
    expect(first.body.toString()).toBe('1');
    const state = first.session?.state;
    expect(state?.ns.has('')).toBe(true);
    const second = await preview('/counter.pt', { state: state! });
    expect(second.body.toString()).toBe('2');
    expect(second.session?.id).toBe(state!.id);
    const third = await preview('/counter.pt', { state: second.session!.state! });
    expect(third.body.toString()).toBe('3');
    // a dry run that only reads its session leaves no new state
    expect((await preview('/show.pt', { state: third.session!.state! })).session?.state).toBe(
      undefined,
    );
    expect((await sessions.admin.listSessions({})).total).toBe(stored);
    await expect(sessions.admin.getSession(state!.id)).rejects.toThrow(/no such session/);
  });

  it('an unknown session id or journal entry is a clear error, and nothing runs', async () => {
    const unknown = await preview('/counter.pt', { id: 'B'.repeat(43) });
    expect(unknown.status).toBe(400);
    expect(unknown.body.toString()).toMatch(/no session B+ \(unknown, expired or malformed id\)/);
    const gone = await preview('/counter.pt', { snapshot: { serial: 999_999, phase: 'before' } });
    expect(gone.status).toBe(400);
    expect(gone.body.toString()).toMatch(/request #999999: journal entry 999999/);
  });
});

describe('preview overrides reach every file the request loads', () => {
  it('an unsaved include template and its code module replace the files on disk, uncached', async () => {
    const part = path.join(app, 'parts', 'part.pt');
    const partPy = path.join(app, 'parts', 'part.py');
    expect((await get('/uses_part.pt')).text).toBe('part on disk disk');
    const overrides = {
      [part]: 'unsaved part <?= part_value() ?>',
      'parts/part.py': "def part_value():\n    return 'unsaved'\n",
    };
    for (const url of ['/uses_part.pt', '/calls_part.pt']) {
      const r = await engine.handle({ method: 'GET', url, preview: { dry: true, overrides } });
      expect(r.problems).toEqual([]);
      expect(r.body.toString()).toBe('unsaved part unsaved');
    }
    // never cached: the next plain request sees the disk again
    expect((await get('/uses_part.pt')).text).toBe('part on disk disk');
    expect(fs.readFileSync(partPy, 'utf8')).toContain('disk');
  });

  it("an included template's unsaved text that does not compile is reported at its line", async () => {
    const part = path.join(app, 'parts', 'part.pt');
    const r = await engine.handle({
      method: 'GET',
      url: '/uses_part.pt',
      preview: { dry: true, overrides: { [part]: 'ok\n<?= ' } },
    });
    expect(r.status).toBe(500);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.file).toBe(part);
    expect(r.problems[0]!.line).toBe(2);
  });
});

describe('pse.conf reload applies the session options', () => {
  it('a new CookieName, CookieExpires and LockTimeout apply without losing sessions or the journal', async () => {
    const first = await get('/counter.pt');
    const oldCookie = cookieOf(first.setCookie[0]!);
    const id = oldCookie.split('=')[1]!;
    sessions.journal.flush();
    const journaled = (await sessions.admin.journal({ sessionId: id, limit: 10 })).length;
    expect(journaled).toBeGreaterThan(0);

    write('pse.conf', CONF('CookieName = app_sid\nCookieExpires = 30\n'));
    await engine.reloadConfig('test');
    expect(engine.config.session.cookieName).toBe('app_sid');
    expect(engine.sessionService).toBe(sessions);

    // the browser still sends the old name: the session is found and moves to the new name
    const moved = await get('/counter.pt', oldCookie);
    expect(moved.text).toBe('2');
    const set = moved.setCookie.map((c) => parseSetCookie(c));
    expect(set.find((c) => c.name === 'app_sid')).toMatchObject({ value: id, maxAge: 1800 });
    expect(set.find((c) => c.name === 'pse_session')).toMatchObject({ value: '', maxAge: 0 });
    // a new session gets the new name
    const fresh = await get('/counter.pt');
    expect(parseSetCookie(fresh.setCookie[0]!).name).toBe('app_sid');
    // a streamed page's cookie (written by the new workers) too
    const streamed = await get('/flush_first.pt');
    expect(parseSetCookie(streamed.setCookie[0]!)).toMatchObject({ name: 'app_sid', maxAge: 1800 });
    expect((await get('/counter.pt', `app_sid=${id}`)).text).toBe('3');

    sessions.journal.flush();
    expect((await sessions.admin.journal({ sessionId: id, limit: 10 })).length).toBeGreaterThan(
      journaled,
    );
    // LockTimeout applies: with the session held, a request now gives up after 1 s (503)
    write('pse.conf', CONF('CookieName = app_sid\nCookieExpires = 30\nLockTimeout = 1\n'));
    await engine.reloadConfig('test');
    const release = await sessions.manager.locks.acquire(id);
    try {
      const busy = await get('/counter.pt', `app_sid=${id}`);
      expect(busy.status).toBe(503);
      expect(busy.text).toMatch(/LockTimeout/);
    } finally {
      release();
    }
    expect((await get('/counter.pt', `app_sid=${id}`)).text).toBe('4');
  });
});

describe('the console log level of worker lines', () => {
  it('defaults to NOTICE on the console while .pse/error.log keeps every line', async () => {
    const errorLog = path.join(app, '.pse', 'error.log');
    let text = '';
    for (let i = 0; i < 200 && !/DEBUG worker \d+ spawned/.test(text); i++) {
      await new Promise((r) => setTimeout(r, 10));
      text = fs.existsSync(errorLog) ? fs.readFileSync(errorLog, 'utf8') : '';
    }
    expect(text).toMatch(/DEBUG worker \d+ spawned/);
    const quiet = logs.filter((l) => l.level === 'DEBUG' || l.level === 'INFO');
    expect(quiet).toEqual([]);
    expect(logs.some((l) => l.level === 'NOTICE' || l.level === 'WARNING')).toBe(true);
  });

  it('follows [plugins.server] LogLevel, also after a reload', async () => {
    expect(consoleLogLevel(engine.config)).toBe('NOTICE');
    write('pse.conf', CONF() + '\n[plugins.server]\nloglevel = debug\n');
    await engine.reloadConfig('test');
    expect(consoleLogLevel(engine.config)).toBe('DEBUG');
    await engine.restartWorkers('test');
    await untilLogged(/DEBUG worker \d+ spawned/);
  });
});
