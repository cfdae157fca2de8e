/** The StudioApi contract over an in-memory transport pair, on a real engine and service. */
import { afterAll, beforeAll, describe } from 'vitest';
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
