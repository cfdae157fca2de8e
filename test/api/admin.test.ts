/**
 * The admin API on a live engine: edits go through a real CPython worker (pse/_admin.py), take
 * the session's lock, refuse stale versions, are journaled as `edited`, and raise live events.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { AdminError } from '../../src/engine/api/admin.js';
import type { SessionService } from '../../src/engine/session/service.js';
import { SessionConflictError } from '../../src/engine/session/store.js';
import type { SessionChangedEvent } from '../../src/engine/session/events.js';
import type { JournalEntry } from '../../src/common/types/journal.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../../examples');
let engine: Engine;
let base: string;
let sessions: SessionService;

beforeAll(async () => {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-admin-'));
  for (const f of ['session_example.pt', 'session_example.py'])
    fs.copyFileSync(path.join(EXAMPLES, f), path.join(app, f));
  engine = await Engine.open(app, { workers: 1, watch: false, logFiles: false });
  base = (await engine.listen(0)).url.replace(/\/$/, '');
  sessions = engine.sessionService!;
});

afterAll(async () => {
  await engine?.close();
});

async function get(url: string, cookie?: string): Promise<{ text: string; cookie?: string }> {
  const res = await fetch(base + url, { headers: cookie ? { cookie } : {} });
  const sc = res.headers.getSetCookie()[0];
  const c = sc ? parseSetCookie(sc) : undefined;
  return { text: await res.text(), ...(c ? { cookie: `${c.name}=${c.value}` } : {}) };
}

describe('admin API over a live engine', () => {
  it('edits with literals, refuses stale versions, journals edits, restores', async () => {
    const cookie = (await get('/session_example.pt?name=Zed')).cookie!;
    const id = cookie.split('=')[1]!;
    const v0 = await sessions.admin.getSession(id);
    const v1 = await sessions.admin.setKey(id, '', "'name'", "'Ann'", v0.version);
    expect(v1.version).toBe(v0.version + 1);
    expect(v1.namespaceViews[0]).toMatchObject({
      name: '',
      version: 2,
      preview: { t: 'dict', v: [['name', { t: 'str', v: 'Ann' }]] },
    });
    expect((await get('/session_example.pt', cookie)).text).toContain('Hello, Ann!');
    // based on a version the session no longer has
    await expect(
      sessions.admin.setKey(id, '', "'name'", "'Bob'", v0.version),
    ).rejects.toBeInstanceOf(SessionConflictError);
    // a request changes the session meanwhile: the admin's version is stale
    await get('/session_example.pt?name=Carl', cookie);
    await expect(sessions.admin.deleteKey(id, '', "'name'", v1.version)).rejects.toMatchObject({
      code: 'session_conflict',
      expected: v1.version,
      actual: v1.version + 1,
    });
    const v2 = await sessions.admin.getSession(id);
    await expect(
      sessions.admin.setKey(id, '', "'x'", "__import__('os')", v2.version),
    ).rejects.toMatchObject({
      code: 'bad_literal',
      where: { field: 'value', line: 1, col: 1 },
    });
    await expect(
      sessions.admin.setKey(id, '', "'x'", '[1,\n 2 +* 3]', v2.version),
    ).rejects.toMatchObject({
      code: 'bad_literal',
      where: { field: 'value', line: 2 },
    });
    const v3 = await sessions.admin.deleteKey(id, '', "'name'", v2.version);
    expect((await get('/session_example.pt', cookie)).text).toContain("I don't know who you are.");
    const edit = (await sessions.journal.list({ sessionId: id, outcome: 'edited', limit: 1 }))[0]!;
    expect(edit.edit).toContain("delete ''['name']");
    expect(edit.changes[0]!.diff.removed).toEqual(['name']);
    // put back the state before that edit
    await sessions.admin.restore(edit.serial, 'before', v3.version);
    expect((await get('/session_example.pt', cookie)).text).toContain('Hello, Carl!');
    const v4 = await sessions.admin.getSession(id);
    await sessions.admin.clearNamespace(id, '', v4.version);
    expect((await get('/session_example.pt', cookie)).text).toContain("I don't know who you are.");
    const v5 = await sessions.admin.getSession(id);
    await sessions.admin.deleteSession(id, v5.version);
    await expect(sessions.admin.getSession(id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(sessions.admin.deleteSession(id, v5.version)).rejects.toMatchObject({
      actual: null,
    });
  });

  it('restores a state recorded by a request', async () => {
    const cookie = (await get('/session_example.pt?name=First')).cookie!;
    const id = cookie.split('=')[1]!;
    await get('/session_example.pt?name=Second', cookie);
    const entry = (
      await sessions.journal.list({ sessionId: id, outcome: 'committed', limit: 1 })
    )[0]!;
    expect(entry.changes[0]!.diff.changed).toEqual(['name']);
    // a dry run against the recorded state: the session as it was before that request
    const snap = await sessions.admin.snapshot(entry.serial, 'before');
    expect(snap.previews['']).toEqual({ t: 'dict', v: [['name', { t: 'str', v: 'First' }]] });
    const dry = await sessions.manager.open({ dry: true, snapshot: snap });
    expect(dry.session?.ns.get('')).toEqual(snap.ns.get(''));
    const { trace } = await dry.finish({ ok: true });
    expect(trace.outcome).toBe('preview');
    const v = await sessions.admin.getSession(id);
    await sessions.admin.restore(entry.serial, 'before', v.version);
    expect((await get('/session_example.pt', cookie)).text).toContain('Hello, First!');
  });

  it('creates, names and deletes namespaces, and lists sessions filtered', async () => {
    const made = await sessions.admin.createSession();
    expect(made.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const v1 = await sessions.admin.setKey(
      made.id,
      'cart',
      "'sku'",
      "'A-12345-unique'",
      made.version,
    );
    expect(
      (await sessions.admin.listSessions({ text: 'A-12345-unique' })).items.map((s) => s.id),
    ).toEqual([made.id]);
    expect(
      (await sessions.admin.listSessions({ namespace: 'cart', key: 'sku' })).items.map((s) => s.id),
    ).toContain(made.id);
    expect(() => sessions.admin.deleteNamespace(made.id, '', v1.version)).toThrow(AdminError);
    expect(() => sessions.admin.setKey(made.id, '_x', "'a'", '1', v1.version)).toThrow(
      /not a session namespace name/,
    );
    const v2 = await sessions.admin.deleteNamespace(made.id, 'cart', v1.version);
    expect(v2.namespaces).toEqual([]);
    await expect(sessions.admin.deleteNamespace(made.id, 'cart', v2.version)).rejects.toMatchObject(
      { code: 'not_found' },
    );
  });

  it('emits live events for requests and session changes', async () => {
    const changed: SessionChangedEvent[] = [];
    const finished: JournalEntry[] = [];
    const started: number[] = [];
    const offs = [
      sessions.events.on('sessionChanged', (e) => changed.push(e)),
      sessions.requests.on('requestFinished', (e) => finished.push(e)),
      sessions.requests.on('requestStarted', (e) => started.push(e.serial)),
    ];
    try {
      const cookie = (await get('/session_example.pt?name=Live')).cookie!;
      const id = cookie.split('=')[1]!;
      expect(changed).toEqual([{ id, version: 1, namespaces: [''], by: 'request' }]);
      expect(finished.at(-1)).toMatchObject({
        sessionId: id,
        outcome: 'committed',
        serial: started.at(-1),
      });
      const v = await sessions.admin.getSession(id);
      await sessions.admin.expireSession(id, v.version);
      expect(changed.at(-1)).toEqual({ id, version: null, namespaces: [''], by: 'admin' });
      expect(finished.at(-1)).toMatchObject({ outcome: 'edited', edit: 'expire session' });
    } finally {
      for (const off of offs) off();
    }
  });
});
