/**
 * The inspector calls over the RPC envelope (in-memory pair) on a real engine and StudioService:
 * bad arguments are refused at the edge with a message that says where, conflicts come back as
 * data, and live events reach the client.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { createTransportPair, serveApi, toService, type ApiClient } from '../../src/common/rpc.js';
import { openStudioEngine, type EngineAdapter } from '../../src/main/service/engine-adapter.js';
import { StudioService } from '../../src/main/service/studio-service.js';
import { copyExamples, until } from '../studio/helpers.js';

describe('inspector over RPC', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let engine: EngineAdapter;
  let service: StudioService;
  let api: ApiClient;

  beforeAll(async () => {
    app = await copyExamples();
    engine = await openStudioEngine(app.dir, { workers: 1 });
    service = new StudioService(engine);
    const [a, b] = createTransportPair();
    serveApi(service, a);
    api = toService(b);
  });

  afterAll(async () => {
    api?.dispose();
    await service?.close();
    await engine?.close();
    await app?.remove();
  });

  it('refuses malformed calls before the service sees them', async () => {
    const raw = api as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    await expect(
      raw.stageEdit!('x', { namespace: '', baseVersion: 0, ops: [{ op: 'exec', code: 'x' }] }),
    ).rejects.toThrow(
      /stageEdit: argument 2\.ops\[0\]\.op: expected one of set, delete, clear, deleteNamespace, restore/,
    );
    await expect(raw.replayRequest!(0, 'again')).rejects.toThrow(
      /replayRequest: argument 1: 0 is outside/,
    );
    await expect(raw.inspectorSessions!({ offset: 0, limit: 10 })).rejects.toThrow(
      /search: expected a string/,
    );
    await expect(api.inspectorSession('nope')).rejects.toThrow(/session nope: no such session/);
  });

  it('streams finished requests and answers a stale edit with a conflict, writing nothing', async () => {
    const seen: JournalEntry[] = [];
    const sub = api.onRequestFinished((e) => seen.push(e));
    const { url } = await api.startServer(0);
    const res = await fetch(new URL('session_example.pt?name=Eve', url));
    const id = /PSESESSION=([^;]+)/i.exec(res.headers.get('set-cookie') ?? '')?.[1] ?? '';
    await until(() => seen.some((e) => e.path === '/session_example.pt'), 'the live entry');
    sub.dispose();
    const entry = seen.find((e) => e.path === '/session_example.pt')!;
    expect(entry.outcome).toBe('committed');
    const sid = id || entry.sessionId!;
    const view = await api.inspectorSession(sid);
    const r = await api.applyEdits(sid, [
      { namespace: '', baseVersion: view.namespaceViews[0]!.version - 1, ops: [{ op: 'clear' }] },
    ]);
    expect(r).toMatchObject({
      ok: false,
      conflicts: [{ namespace: '', serverVersion: view.namespaceViews[0]!.version }],
    });
    expect((await api.inspectorSession(sid)).version).toBe(view.version);
    await api.stopServer();
  });
});
