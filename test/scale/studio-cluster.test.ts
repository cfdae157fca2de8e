/**
 * Studio attached to a running cluster, with real processes on the test PostgreSQL server (a
 * throwaway schema): `pse serve --instances 2` serves the app, Studio's engine opens the same
 * app as `pse studio` does, and Studio's inspector service sees the cluster's requests (naming
 * the process that served each) and session changes as live events, its edits reach the other
 * processes, a stale edit gets the conflict answer, and its own server's requests take turns
 * with theirs on one session.
 */
import fs from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionChanged } from '../../src/common/api-inspector.js';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { openStudioEngine, type EngineAdapter } from '../../src/main/service/engine-adapter.js';
import { InspectorService } from '../../src/main/service/inspector-service.js';
import { sql, TEST_PG_URL, testSchema } from '../helpers/pg.js';
import { killAll, scaleApp, sessionCookie, startPse, stopPse, type Pse } from './processes.js';
import { until } from './scenarios.js';

const schema = testSchema();
let app: string;
let pse: Pse;
let studio: EngineAdapter;
let studioUrl: string;
let svc: InspectorService;
const finished: JournalEntry[] = [];
const changed: SessionChanged[] = [];
const subs: { dispose(): void }[] = [];

beforeAll(async () => {
  await sql(`CREATE SCHEMA ${schema.schema}`);
  app = scaleApp(30, `Type = postgresql\nDatabase = ${TEST_PG_URL}\nTable = ${schema.table()}\n`);
  pse = await startPse(app, ['--instances', '2', '--workers', '1', '--port', '0']);
  studio = await openStudioEngine(app, { workers: 1 });
  studioUrl = (await studio.engine.listen(0)).url.replace(/\/$/, '');
  svc = new InspectorService(studio.engine);
  subs.push(svc.onRequestFinished((e) => finished.push(e)));
  subs.push(svc.onSessionChanged((e) => changed.push(e)));
}, 180_000);

afterAll(async () => {
  for (const s of subs) s.dispose();
  await studio?.close();
  if (pse) await stopPse(pse);
  killAll();
  await schema.drop();
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

async function get(base: string, url: string, cookie?: string) {
  const res = await fetch(base + url, { headers: cookie ? { cookie } : {} });
  const text = await res.text();
  const [out, pid] = text.trim().split(/\s+/);
  return { status: res.status, out: out!, pid: Number(pid), setCookie: res.headers.getSetCookie() };
}

const idOf = (cookie: string): string => cookie.split('=')[1]!;

describe('pse studio on a PostgreSQL app served by a cluster', () => {
  let cookie: string;

  it(
    "sees the other processes' requests live, each naming host, pid and instance",
    { timeout: 60_000 },
    async () => {
      const first = await get(pse.url, '/count.pt');
      expect(first.out).toBe('1');
      cookie = sessionCookie(first.setCookie);
      const entry = await until(
        'the entry as a live event',
        20_000,
        () => finished.find((e) => e.sessionId === idOf(cookie) && e.path === '/count.pt') ?? null,
      );
      expect(entry.outcome).toBe('committed');
      // the page prints its engine process's pid: the entry names that very process
      expect(entry.servedBy).toEqual({
        host: os.hostname(),
        pid: first.pid,
        instance: expect.any(Number) as number,
      });
      expect([1, 2]).toContain(entry.servedBy!.instance);
      expect(entry.servedBy!.pid).not.toBe(process.pid);
      // the session change came as a live event too
      await until(
        'the session change as a live event',
        20_000,
        () => changed.find((c) => c.id === idOf(cookie) && c.by === 'request') ?? null,
      );
      // and the request log (read from the shared journal) has it, with its process
      const log = await svc.requestLog({
        before: 0,
        limit: 10,
        path: '',
        status: '',
        outcome: '',
        sessionId: idOf(cookie),
        previews: 'hidden',
      });
      expect(log.map((e) => [e.serial, e.servedBy])).toEqual([[entry.serial, entry.servedBy]]);
      // the session is listed with the cluster's value
      const view = await svc.inspectorSession(idOf(cookie));
      expect(JSON.stringify(view)).toContain('"n"');
    },
  );

  it(
    'an inspector edit is what the other processes serve next; a stale one gets the conflict answer',
    { timeout: 60_000 },
    async () => {
      const view = await svc.inspectorSession(idOf(cookie));
      const ns = view.namespaceViews.find((n) => n.name === '')!;
      const applied = await svc.applyEdits(idOf(cookie), [
        { namespace: '', baseVersion: ns.version, ops: [{ op: 'set', key: "'n'", value: '41' }] },
      ]);
      expect(applied.ok).toBe(true);
      const next = await get(pse.url, '/count.pt', cookie);
      expect(next.out).toBe('42');
      // the edit was based on a version the cluster has since moved past
      const stale = await svc.applyEdits(idOf(cookie), [
        { namespace: '', baseVersion: ns.version, ops: [{ op: 'set', key: "'n'", value: '0' }] },
      ]);
      expect(stale).toMatchObject({
        ok: false,
        conflicts: [{ namespace: '', baseVersion: ns.version }],
      });
      if (!stale.ok && 'conflicts' in stale)
        expect(stale.conflicts[0]!.serverVersion).toBeGreaterThan(ns.version);
      expect((await get(pse.url, '/count.pt', cookie)).out).toBe('43');
      // the edit is journaled by Studio's process, and the cluster's next request is heard
      const edit = finished.find((e) => e.sessionId === idOf(cookie) && e.outcome === 'edited');
      expect(edit?.servedBy?.pid).toBe(process.pid);
      await until('the request after the edit, live', 20_000, () =>
        finished.some((e) => e.sessionId === idOf(cookie) && e.servedBy?.pid === next.pid)
          ? true
          : null,
      );
    },
  );

  it(
    "Studio's own server is one more process: one session's requests take turns with the cluster's",
    { timeout: 120_000 },
    async () => {
      const before = Number((await get(pse.url, '/count.pt', cookie)).out);
      const each = 15;
      const replies = await Promise.all(
        Array.from({ length: each }, () => [
          get(pse.url, '/count.pt', cookie),
          get(studioUrl, '/count.pt', cookie),
        ]).flat(),
      );
      expect(replies.every((r) => r.status === 200)).toBe(true);
      // read-modify-write from both sides: none lost
      const seen = replies.map((r) => Number(r.out)).sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: 2 * each }, (_, i) => before + 1 + i));
      expect((await get(pse.url, '/count.pt', cookie)).out).toBe(String(before + 2 * each + 1));
      // Studio's requests are in the shared journal under its own process
      const log = await svc.requestLog({
        before: 0,
        limit: 100,
        path: '/count.pt',
        status: '',
        outcome: '',
        sessionId: idOf(cookie),
        previews: 'hidden',
      });
      const pids = new Set(log.map((e) => e.servedBy?.pid));
      expect(pids.has(process.pid)).toBe(true);
      expect(pids.size).toBeGreaterThan(1);
    },
  );
});
