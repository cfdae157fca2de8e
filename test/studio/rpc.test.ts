/** The StudioApi contract over an in-memory transport pair, on a real engine and service. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Channel, isChannel } from '../../src/common/desktop.js';
import {
  createTransportPair,
  serveApi,
  toService,
  type ApiClient,
  type Transport,
} from '../../src/common/rpc.js';
import { openStudioEngine, type EngineAdapter } from '../../src/main/service/engine-adapter.js';
import { StudioService } from '../../src/main/service/studio-service.js';
import { apiContract } from './contract.js';
import { copyExamples } from './helpers.js';

describe('StudioApi over an in-memory pair', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let engine: EngineAdapter;
  let service: StudioService;
  let client: ApiClient;
  let clientEnd: Transport;

  beforeAll(async () => {
    app = await copyExamples();
    engine = await openStudioEngine(app.dir, { workers: 1 });
    service = new StudioService(engine);
    const [a, b] = createTransportPair();
    serveApi(service, a);
    clientEnd = b;
    client = toService(b);
  });

  afterAll(async () => {
    client?.dispose();
    await service?.close();
    await engine?.close();
    await app?.remove();
  });

  it('rejects pending calls when the connection closes, and calls after it', async () => {
    const [a, b] = createTransportPair();
    serveApi(service, a);
    const c = toService(b);
    const pending = c.listTree();
    b.close();
    await expect(pending).rejects.toThrow(/connection closed/);
    await expect(c.getWorkspace()).rejects.toThrow(/connection closed/);
  });

  it('drops the answer of a cancelled call', async () => {
    const [a, b] = createTransportPair();
    serveApi(service, a);
    const replies: string[] = [];
    b.onMessage((m) => replies.push(m));
    b.send(JSON.stringify({ k: 'req', id: 1, m: 'listTree', a: [] }));
    b.send(JSON.stringify({ k: 'cancel', id: 1 }));
    b.send(JSON.stringify({ k: 'req', id: 2, m: 'getWorkspace', a: [] }));
    await new Promise((r) => setTimeout(r, 300));
    expect(replies.map((r) => (JSON.parse(r) as { id: number }).id)).toEqual([2]);
    b.close();
  });

  it('stops events after unsubscribe', async () => {
    const [a, b] = createTransportPair();
    serveApi(service, a);
    const c = toService(b);
    const seen: string[] = [];
    const sub = c.onServerStatus((s) => seen.push(s.running ? 'up' : 'down'));
    await new Promise((r) => setTimeout(r, 20));
    await c.stopServer();
    await new Promise((r) => setTimeout(r, 20));
    sub.dispose();
    await new Promise((r) => setTimeout(r, 20));
    await c.stopServer();
    await new Promise((r) => setTimeout(r, 20));
    expect(seen).toEqual(['down']);
    b.close();
  });

  it('whitelists the desktop bridge channels', () => {
    for (const ch of Object.values(Channel)) expect(isChannel(ch)).toBe(true);
    for (const bad of ['pse:other', 'rpc', 'electron:x', 42, null])
      expect(isChannel(bad)).toBe(false);
  });

  apiContract({
    client: () => client,
    appDir: () => app.dir,
    raw: (message) =>
      new Promise((resolve) => {
        const sent = (() => {
          try {
            return (JSON.parse(message) as { id: number }).id;
          } catch {
            return -1;
          }
        })();
        const sub = clientEnd.onMessage((reply) => {
          const env = JSON.parse(reply) as { id: number };
          if (env.id !== sent) return;
          sub.dispose();
          resolve(env);
        });
        clientEnd.send(message);
      }),
  });
});
