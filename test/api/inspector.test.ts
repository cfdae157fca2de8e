/**
 * The inspector service on a live engine (real CPython workers, real SQLite): staged edits,
 * all-or-nothing apply, conflicts, bad literals, the request log with filters and replay, the
 * session timeline, and the RPC edge refusing bad arguments.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPage, type Page } from '../helpers/get-page.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CART_APP } from './cart-app.js';
import { Engine } from '../../src/engine/engine.js';
import { InspectorService } from '../../src/main/service/inspector-service.js';
import {
  INSPECTOR_ARGS,
  parseStatusFilter,
  wouldBeOutcome,
} from '../../src/common/api-inspector.js';
import { check } from '../../src/common/schema.js';
import type { JournalEntry } from '../../src/common/types/journal.js';

const APP: Record<string, string> = {
  ...CART_APP,
  'fail.py': [
    'from pse.plugins import session',
    'data = session.new()',
    "data['doomed'] = True",
    "raise ValueError('no stock')",
    '',
  ].join('\n'),
  'fail.pt': 'never',
  'partial.py': [
    'from pse.plugins import session',
    'data = session.new()',
    "data['paid'] = True",
    'session.save()',
    "data['shipped'] = True",
    "raise RuntimeError('courier down')",
    '',
  ].join('\n'),
  'partial.pt': 'never',
};

let engine: Engine;
let base: string;
let svc: InspectorService;
let dir: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-inspector-'));
  for (const [f, text] of Object.entries(APP)) fs.writeFileSync(path.join(dir, f), text);
  engine = await Engine.open(dir, { workers: 1, watch: false, logFiles: false });
  base = (await engine.listen(0)).url.replace(/\/$/, '');
  svc = new InspectorService(engine);
});

afterAll(async () => {
  await engine?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function get(url: string, cookie?: string): Promise<Page> {
  return getPage(base + url, cookie);
}

const log = (over: Partial<Parameters<InspectorService['requestLog']>[0]> = {}) =>
  svc.requestLog({
    before: 0,
    limit: 50,
    path: '',
    status: '',
    outcome: '',
    sessionId: '',
    previews: 'shown',
    ...over,
  });

describe('inspector service', () => {
  it('lists sessions with their size and finds them by key text', async () => {
    const first = await get('/cart.pt?item=lamp');
    const id = first.cookie!.split('=')[1]!;
    const page = await svc.inspectorSessions({ offset: 0, limit: 10, search: '' });
    const row = page.items.find((r) => r.id === id)!;
    expect(row.size).toBeGreaterThan(0);
    expect(row.namespaces).toEqual(['']);
    expect(
      (await svc.inspectorSessions({ offset: 0, limit: 10, search: 'lamp' })).items.map(
        (r) => r.id,
      ),
    ).toContain(id);
    expect(
      (await svc.inspectorSessions({ offset: 0, limit: 10, search: id.slice(3, 20) })).items[0]!.id,
    ).toBe(id);
    expect(
      (await svc.inspectorSessions({ offset: 0, limit: 10, search: 'no-such-thing-anywhere' }))
        .total,
    ).toBe(0);
  });

  it('stages an edit without writing, applies it, and the next request sees it', async () => {
    const { cookie } = await get('/cart.pt');
    const id = cookie!.split('=')[1]!;
    const view = await svc.inspectorSession(id);
    const ns = view.namespaceViews[0]!;
    const staged = await svc.stageEdit(id, {
      namespace: '',
      baseVersion: ns.version,
      ops: [{ op: 'set', key: "'n'", value: '41' }],
    });
    expect(staged).toMatchObject({ ok: true, change: { name: '', diff: { changed: ['n'] } } });
    expect((await svc.inspectorSession(id)).version).toBe(view.version);
    const applied = await svc.applyEdits(id, [
      { namespace: '', baseVersion: ns.version, ops: [{ op: 'set', key: "'n'", value: '41' }] },
      { namespace: 'prefs', baseVersion: 0, ops: [{ op: 'set', key: "'theme'", value: "'dark'" }] },
    ]);
    expect(applied.ok).toBe(true);
    if (!applied.ok) return;
    expect(applied.session.namespaces).toEqual(['', 'prefs']);
    expect((await get('/cart.pt', cookie)).text).toBe('n=42');
    const edited = await svc.requestEntry(applied.serial!);
    expect(edited.outcome).toBe('edited');
    expect(edited.edit).toContain("set ''['n'] = 41");
  });

  it('refuses a bad literal with its line and column and writes nothing', async () => {
    const { cookie } = await get('/cart.pt');
    const id = cookie!.split('=')[1]!;
    const view = await svc.inspectorSession(id);
    const v = view.namespaceViews[0]!.version;
    const r = await svc.applyEdits(id, [
      {
        namespace: '',
        baseVersion: v,
        ops: [
          { op: 'set', key: "'a'", value: '1' },
          { op: 'set', key: "'b'", value: '[1,\n 2' },
        ],
      },
    ]);
    expect(r).toMatchObject({
      ok: false,
      problem: { namespace: '', op: 1, field: 'value', line: 1 },
    });
    const call = await svc.stageEdit(id, {
      namespace: '',
      baseVersion: v,
      ops: [{ op: 'set', key: "'x'", value: '__import__("os")' }],
    });
    expect(call).toMatchObject({ ok: false, problem: { op: 0 } });
    expect((await svc.inspectorSession(id)).version).toBe(view.version);
    const del = await svc.stageEdit(id, {
      namespace: '',
      baseVersion: v,
      ops: [{ op: 'deleteNamespace' }],
    });
    expect(del).toMatchObject({
      ok: false,
      problem: { message: expect.stringContaining('clear it instead') },
    });
  });

  it('refuses an edit of a namespace the server changed meanwhile, writing nothing', async () => {
    const { cookie } = await get('/cart.pt');
    const id = cookie!.split('=')[1]!;
    const v = (await svc.inspectorSession(id)).namespaceViews[0]!.version;
    await get('/cart.pt', cookie); // the server moves on: n = 2
    const r = await svc.applyEdits(id, [
      { namespace: '', baseVersion: v, ops: [{ op: 'set', key: "'n'", value: '100' }] },
      { namespace: 'other', baseVersion: 0, ops: [{ op: 'set', key: "'k'", value: '1' }] },
    ]);
    expect(r.ok).toBe(false);
    if (r.ok || !('conflicts' in r)) throw new Error('expected a conflict');
    expect(r.conflicts).toEqual([
      {
        namespace: '',
        baseVersion: v,
        serverVersion: v + 1,
        server: expect.objectContaining({ t: 'dict' }),
      },
    ]);
    const after = await svc.inspectorSession(id);
    expect(after.namespaces).toEqual(['']);
    expect((await get('/cart.pt', cookie)).text).toBe('n=3');
    const staged = await svc.stageEdit(id, {
      namespace: '',
      baseVersion: v,
      ops: [{ op: 'clear' }],
    });
    expect(staged).toMatchObject({ ok: false, conflict: { namespace: '', baseVersion: v } });
  });

  it('logs rollbacks with the discarded diff and the line that raised, and partial commits', async () => {
    const { cookie } = await get('/cart.pt');
    expect((await get('/fail.pt', cookie)).status).toBe(500);
    expect((await get('/partial.pt', cookie)).status).toBe(500);
    const [partial, failed] = await log({ path: 'p', limit: 2 }).then(async () => [
      (await log({ path: '/partial.pt', limit: 1 }))[0]!,
      (await log({ path: '/fail.pt', limit: 1 }))[0]!,
    ]);
    expect(failed.outcome).toBe('rolled_back');
    expect(failed.cause).toMatchObject({ type: 'ValueError', file: 'fail.py', line: 4 });
    expect(failed.discarded?.[0]?.diff.added).toEqual(['doomed']);
    expect(partial.outcome).toBe('partially_committed');
    expect(partial.saves).toHaveLength(1);
    expect(partial.saves[0]!.changes[0]!.diff.added).toEqual(['paid']);
    expect(partial.cause).toMatchObject({ type: 'RuntimeError', file: 'partial.py', line: 6 });
    // filters
    expect((await log({ status: '5xx' })).every((e) => e.status >= 500)).toBe(true);
    expect((await log({ outcome: 'rolled_back' })).map((e) => e.serial)).toContain(failed.serial);
    await expect(log({ status: 'abc' })).rejects.toThrow(/status filter 'abc'/);
  });

  it('replays a request against the state before it and reproduces the outcome', async () => {
    const { cookie } = await get('/cart.pt?item=a');
    await get('/cart.pt?item=b', cookie);
    const second = (await log({ path: '/cart.pt', limit: 1 }))[0]!;
    await get('/cart.pt?item=c', cookie);
    // The state "before" is rebuilt in memory: nothing is written to the store, during or after.
    const store = engine.sessionService!.manager.store;
    const total = async () => (await store.list({ limit: 1 }, Date.now())).total;
    const sessionsBefore = await total();
    const written: string[] = [];
    const { commit, rename } = store;
    store.commit = (c) => (written.push(`commit ${c.id}`), commit.call(store, c));
    store.rename = (from, to, now, exp) => (
      written.push(`rename ${from}`),
      rename.call(store, from, to, now, exp)
    );
    let dry: Awaited<ReturnType<typeof svc.replayRequest>>;
    try {
      dry = await svc.replayRequest(second.serial, 'before');
    } finally {
      store.commit = commit;
      store.rename = rename;
    }
    expect(written).toEqual([]);
    expect(await total()).toBe(sessionsBefore);
    expect(dry.differences).toEqual([]);
    expect(dry.replay.outcome).toBe('committed');
    expect(dry.replay.body).toBe('n=2');
    const id = cookie!.split('=')[1]!;
    expect((await svc.inspectorSession(id)).namespaceViews[0]!.preview).toMatchObject({
      v: expect.arrayContaining([['n', { t: 'int', v: '3' }]]),
    });
    // as it was, now: the session has moved on, so the value differs
    const again = await svc.replayRequest(second.serial, 'again');
    expect(again.replay.body).toBe('n=4');
    expect(again.differences.join('\n')).toMatch(/different value/);
    const failed = (await log({ outcome: 'rolled_back', limit: 1 }))[0]!;
    const r = await svc.replayRequest(failed.serial, 'before');
    expect(r.replay.outcome).toBe('rolled_back');
    expect(r.differences).toEqual([]);
    await expect(svc.replayRequest(999_999, 'before')).rejects.toThrow(/journal entry 999999/);
  });

  it('rebuilds past states on the timeline and restores one through a staged edit', async () => {
    const { cookie } = await get('/cart.pt?item=x');
    const id = cookie!.split('=')[1]!;
    await get('/cart.pt?item=y', cookie);
    await get('/fail.pt', cookie);
    const ticks = await svc.sessionTimeline(id);
    expect(ticks.map((t) => t.outcome)).toEqual(['committed', 'committed', 'rolled_back']);
    const at = await svc.sessionStateAt(id, ticks[0]!.serial);
    const dict = at.namespaces.find((n) => n.name === '')!;
    expect(dict.preview).toMatchObject({
      v: expect.arrayContaining([['n', { t: 'int', v: '1' }]]),
    });
    expect(dict.restore).toEqual({ op: 'restore', serial: ticks[0]!.serial, phase: 'after' });
    const v = (await svc.inspectorSession(id)).namespaceViews[0]!.version;
    const r = await svc.applyEdits(id, [{ namespace: '', baseVersion: v, ops: [dict.restore!] }]);
    expect(r.ok).toBe(true);
    expect((await get('/cart.pt', cookie)).text).toBe('n=2');
    const last = await svc.sessionTimeline(id);
    expect(last.at(-2)).toMatchObject({ outcome: 'edited' });
  });

  it('creates, expires and deletes sessions; clears the log', async () => {
    const s = await svc.createSession();
    await svc.expireSession(s.id, s.version);
    await expect(svc.inspectorSession(s.id)).rejects.toThrow(/no such session/);
    const t = await svc.createSession();
    await expect(svc.deleteSession(t.id, t.version + 5)).rejects.toThrow();
    await svc.deleteSession(t.id, t.version);
    const seen: JournalEntry[] = [];
    const sub = svc.onRequestFinished((e) => seen.push(e));
    await get('/cart.pt');
    sub.dispose();
    expect(seen.map((e) => e.path)).toEqual(['/cart.pt']);
    await svc.clearRequestLog();
    expect(await log()).toEqual([]);
    await get('/cart.pt');
    expect((await log()).map((e) => e.path)).toEqual(['/cart.pt']);
  });
});

describe('inspector argument schemas', () => {
  const args = (name: keyof typeof INSPECTOR_ARGS, values: unknown[]): string | null => {
    const schemas = INSPECTOR_ARGS[name];
    for (const [i, s] of schemas.entries()) {
      const p = check(s, values[i], `${name}[${i}]`);
      if (p) return p;
    }
    return null;
  };
  it('refuses malformed calls with a message that says where', () => {
    expect(
      args('stageEdit', ['id', { namespace: '', baseVersion: 1, ops: [{ op: 'drop' }] }]),
    ).toMatch(/stageEdit\[1\]\.ops\[0\]\.op/);
    expect(args('stageEdit', ['id', { namespace: '', baseVersion: -1, ops: [] }])).toMatch(
      /baseVersion/,
    );
    expect(
      args('applyEdits', [
        'id',
        [{ namespace: '', baseVersion: 1, ops: [{ op: 'set', key: "'a'" }] }],
      ]),
    ).toMatch(/value/);
    expect(args('replayRequest', [1, 'sideways'])).toMatch(/again, before/);
    expect(
      args('requestLog', [
        { before: 0, limit: 5000, path: '', status: '', outcome: '', sessionId: '' },
      ]),
    ).toMatch(/limit/);
    expect(
      args('requestLog', [
        { before: 0, limit: 5, path: '', status: '', outcome: 'nope', sessionId: '' },
      ]),
    ).toMatch(/outcome/);
    expect(
      args('stageEdit', [
        'id',
        { namespace: '', baseVersion: 1, ops: [{ op: 'restore', serial: 3, phase: 'after' }] },
      ]),
    ).toBeNull();
  });
  it('reads status filters and dry-run outcomes', () => {
    expect(parseStatusFilter('5xx')!(503)).toBe(true);
    expect(parseStatusFilter('5xx')!(404)).toBe(false);
    expect(parseStatusFilter('404')!(404)).toBe(true);
    expect(parseStatusFilter('44')).toBeNull();
    const save = {
      at: 1,
      changes: [
        { name: '', before: null, after: null, diff: { added: [], removed: [], changed: [] } },
      ],
    };
    expect(
      wouldBeOutcome({
        outcome: 'preview',
        cause: { kind: 'exception', message: 'x' },
        saves: [save],
        changes: [],
      }),
    ).toBe('partially_committed');
    expect(wouldBeOutcome({ outcome: 'preview', saves: [], changes: [] })).toBe('read_only');
  });
});

describe('the request log across restarts', () => {
  it('is read back from the journal after the engine restarts, and stays cleared', async () => {
    const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-inspector-restart-'));
    try {
      for (const [f, text] of Object.entries(APP)) fs.writeFileSync(path.join(app, f), text);
      const first = await Engine.open(app, { workers: 1, watch: false, logFiles: false });
      await first.handle({ method: 'GET', url: '/cart.pt?item=pen' });
      await first.handle({ method: 'GET', url: '/fail.pt' });
      await first.close();
      const second = await Engine.open(app, { workers: 1, watch: false, logFiles: false });
      try {
        const again = new InspectorService(second);
        const q = {
          before: 0,
          limit: 10,
          path: '',
          status: '',
          outcome: '',
          sessionId: '',
          previews: 'shown',
        } as const;
        expect((await again.requestLog(q)).map((e) => [e.path, e.outcome])).toEqual([
          ['/fail.pt', 'rolled_back'],
          ['/cart.pt', 'committed'],
        ]);
        await again.clearRequestLog();
        await second.handle({ method: 'GET', url: '/cart.pt' });
        expect((await again.requestLog(q)).map((e) => e.serial)).toEqual([3]);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(app, { recursive: true, force: true });
    }
  });
});
