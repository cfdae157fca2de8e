/** Boot a real Engine (CPython workers and all) on a private copy of a test app, listening on a free port. */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine, type EngineOptions, type LogLine } from '../../src/engine/index.js';

export const APPS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'apps');

export interface Booted {
  engine: Engine;
  root: string;
  url: string;
  port: number;
  logs: LogLine[];
  stop(): Promise<void>;
}

export async function bootApp(app: string, opts: EngineOptions = {}): Promise<Booted> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'pse-app-'));
  const root = path.join(base, app);
  await cp(path.join(APPS, app), root, { recursive: true });
  const logs: LogLine[] = [];
  const engine = await Engine.open(root, { ...opts, log: (l) => logs.push(l) });
  const { url, port } = await engine.listen(0);
  return {
    engine,
    root,
    url,
    port,
    logs,
    stop: async () => {
      await engine.close();
      await rm(base, { recursive: true, force: true });
    },
  };
}

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** when each body chunk arrived (ms since the request was sent), to observe streaming */
  chunkTimes: number[];
}

export function request(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      const chunkTimes: number[] = [];
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        chunkTimes.push(performance.now() - t0);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          chunkTimes,
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
