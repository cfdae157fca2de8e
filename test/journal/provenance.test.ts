/**
 * What the journal records of a request beyond its session changes, from real requests to a
 * real engine and worker: the line of each session-key write (template lines mapped through
 * the line map, code-module lines as they are), the key's history and last writer (blame),
 * the servlet's namespace at the end of the run (capped), and the timing breakdown with the
 * request a session's lock was waited behind. Nothing of it is recorded without a journal.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { Engine } from '../../src/engine/engine.js';
import { sessionBlame } from '../../src/engine/journal/blame.js';
import { sessionHistory } from '../../src/engine/journal/history.js';

const APP: Record<string, string> = {
  // line 3: d['user'] = ..., line 4: d.update(role=...)
  'login.py': [
    'from pse.plugins import session',
    'd = session.new()',
    "d['user'] = pse.form.get('u', 'ann')",
    "d.update(role='admin')",
    'items = [1, 2, 3]',
    "label = 'x' * 500",
    '',
  ].join('\n'),
  'login.pt': 'hi <?= d["user"] ?>',
  // the write is on template line 3 (the generated Python line is elsewhere)
  'cart.pt': [
    '<? from pse.plugins import session ?>',
    '<p>cart</p>',
    "<? cart = session.new('shop'); cart.setdefault('n', 0); cart['n'] = cart['n'] + 1 ?>",
    '<?= cart["n"] ?>',
  ].join('\n'),
  'big.py': ['big = list(range(5000))', ''].join('\n'),
  'big.pt': 'big',
  'slow.py': [
    'import time',
    'from pse.plugins import session',
    "session.new()['slow'] = True",
    "time.sleep(float(pse.form.get('s', '0.3')))",
    '',
  ].join('\n'),
  'slow.pt': 'slept',
  'fast.py': ['from pse.plugins import session', "session.new()['fast'] = 1", ''].join('\n'),
  'fast.pt': 'fast',
  // line 3 is saved, then the page raises: the saved key keeps its line
  'partial.py': [
    'from pse.plugins import session',
    'd = session.new()',
    "d['paid'] = True",
    'session.save()',
    "raise RuntimeError('courier down')",
    '',
  ].join('\n'),
  'partial.pt': 'never shown',
};

function cookieOf(res: { headers: [string, string][] }): string {
  const c = res.headers.find(([k]) => k.toLowerCase() === 'set-cookie');
  if (!c) throw new Error('no Set-Cookie');
  return c[1].split(';')[0]!;
}

describe('provenance, namespace and timings in the journal', () => {
  let dir: string;
  let engine: Engine;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-provenance-'));
    for (const [f, t] of Object.entries(APP)) await writeFile(path.join(dir, f), t);
    engine = await Engine.open(dir, { workers: 2, watch: false, logFiles: false });
  });
  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const journal = () => engine.sessionService!.journal;
  const lastEntry = async (): Promise<JournalEntry> => (await journal().list({ limit: 1 }))[0]!;

  it('records the code-module and template line of each key written', async () => {
    const res = await engine.handle({ method: 'GET', url: '/login.pt?u=bob' });
    expect(res.status).toBe(200);
    const cookie = cookieOf(res);
    const login = await lastEntry();
    const py = path.join(dir, 'login.py');
    expect(login.writes).toEqual(
      expect.arrayContaining([
        { name: '', key: 'user', file: py, line: 3 },
        { name: '', key: 'role', file: py, line: 4 },
      ]),
    );
    await engine.handle({ method: 'GET', url: '/cart.pt', headers: { cookie } });
    const cart = await lastEntry();
    expect(cart.writes).toEqual([
      { name: 'shop', key: 'n', file: path.join(dir, 'cart.pt'), line: 3 },
    ]);
  });

  it('keeps the line of a key saved before the page raised', async () => {
    await engine.handle({ method: 'GET', url: '/partial.pt' });
    const e = await lastEntry();
    expect(e.outcome).toBe('partially_committed');
    expect(e.writes).toEqual([
      { name: '', key: 'paid', file: path.join(dir, 'partial.py'), line: 3 },
    ]);
  });

  it("gives each key's last writer and its history (blame)", async () => {
    const res = await engine.handle({ method: 'GET', url: '/login.pt?u=cy' });
    const cookie = cookieOf(res);
    const first = (await lastEntry()).serial;
    await engine.handle({ method: 'GET', url: '/cart.pt', headers: { cookie } });
    await engine.handle({ method: 'GET', url: '/cart.pt', headers: { cookie } });
    const second = (await lastEntry()).serial;
    const id = (await lastEntry()).sessionId!;
    const view = await engine.sessionService!.manager.store.view(id, Date.now());
    const now = new Map(view!.namespaceViews.map((n) => [n.name, n.preview] as const));
    const blame = sessionBlame(await sessionHistory(journal(), id), now);
    const std = blame.find((n) => n.name === '')!;
    const user = std.keys.find((k) => k.key === 'user')!;
    expect(user.last).toMatchObject({
      serial: first,
      path: '/login.pt',
      file: path.join(dir, 'login.py'),
      line: 3,
      value: { t: 'str', v: 'cy' },
    });
    const n = blame.find((x) => x.name === 'shop')!.keys.find((k) => k.key === 'n')!;
    expect(n.last).toMatchObject({ serial: second, line: 3, value: { t: 'int', v: '2' } });
    expect(n.history.map((e) => e.value)).toEqual([
      { t: 'int', v: '2' },
      { t: 'int', v: '1' },
    ]);
  });

  it("records the servlet's namespace at the end of the run, capped, and says so", async () => {
    await engine.handle({ method: 'GET', url: '/login.pt' });
    const scope = (await lastEntry()).scope!;
    expect(scope.value.t).toBe('dict');
    const names = scope.value.t === 'dict' ? scope.value.v.map(([k]) => k) : [];
    expect(names).toEqual(expect.arrayContaining(['d', 'items', 'label']));
    // imported modules and dunders are not variables of the page
    expect(names).not.toContain('session');
    expect(names).not.toContain('__builtins__');
    expect(scope.capped).toBe(true); // label is cut at the preview's string cap
    await engine.handle({ method: 'GET', url: '/big.pt' });
    expect((await lastEntry()).scope!.capped).toBe(true);
    await engine.handle({ method: 'GET', url: '/fast.pt' });
    expect((await lastEntry()).scope).toEqual({ value: { t: 'dict', v: [] }, capped: false });
  });

  it('breaks the time down, naming the request a session was waited behind', async () => {
    const res = await engine.handle({ method: 'GET', url: '/fast.pt' });
    const cookie = cookieOf(res);
    const slow = engine.handle({ method: 'GET', url: '/slow.pt?s=0.4', headers: { cookie } });
    // the slow request holds the session before the fast one asks for it
    await new Promise((r) => setTimeout(r, 150));
    await engine.handle({ method: 'GET', url: '/fast.pt', headers: { cookie } });
    await slow;
    const [fast, slowEntry] = await journal().list({ limit: 2 });
    expect(slowEntry!.path).toBe('/slow.pt');
    expect(fast!.path).toBe('/fast.pt');
    const t = fast!.timings!;
    expect(t.lockWaitMs).toBeGreaterThan(100);
    expect(t.lockBehind).toEqual({ serial: slowEntry!.serial, path: '/slow.pt' });
    const s = slowEntry!.timings!;
    expect(s.moduleMs).toBeGreaterThanOrEqual(350);
    expect(s.moduleMs).toBeLessThan(5000); // milliseconds, though the worker counts microseconds
    expect(s.templateMs).toBeGreaterThanOrEqual(0);
    expect(s.templateMs).toBeLessThan(s.moduleMs);
    expect(s.commitMs).toBeGreaterThan(0);
    expect(s.workerWaitMs).toBeGreaterThanOrEqual(0);
    expect(s.lockBehind).toBeUndefined();
  });
});

describe('with the journal but not its details (journalDetails: false)', () => {
  it('journals the request without writers, namespace or timings', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pse-provenance-plain-'));
    for (const [f, t] of Object.entries(APP)) await writeFile(path.join(dir, f), t);
    const engine = await Engine.open(dir, {
      workers: 1,
      watch: false,
      logFiles: false,
      journalDetails: false,
    });
    try {
      await engine.handle({ method: 'GET', url: '/login.pt?u=eve' });
      const e = (await engine.sessionService!.journal.list({ limit: 1 }))[0]!;
      expect(e.outcome).toBe('committed');
      expect(e.changes.map((c) => c.diff.added)).toEqual([['user', 'role']]);
      expect(e.writes).toBeUndefined();
      expect(e.scope).toBeUndefined();
      expect(e.timings).toBeUndefined();
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('without a journal (as under --production)', () => {
  it('records no writers, namespace or timings', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pse-provenance-off-'));
    for (const [f, t] of Object.entries(APP)) await writeFile(path.join(dir, f), t);
    const engine = await Engine.open(dir, {
      workers: 1,
      watch: false,
      logFiles: false,
      journal: false,
    });
    try {
      const finished: JournalEntry[] = [];
      // a live view still hears of the request: the entry it gets has none of the extras
      engine.sessionService!.requests.on('requestFinished', (e) => finished.push(e));
      const res = await engine.handle({ method: 'GET', url: '/login.pt?u=dee' });
      expect(res.status).toBe(200);
      expect(finished).toHaveLength(1);
      expect(finished[0]!.writes).toBeUndefined();
      expect(finished[0]!.scope).toBeUndefined();
      expect(finished[0]!.timings).toBeUndefined();
    } finally {
      await engine.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
