/** Fault tests: a throw-away app booted in a real Engine, and a load of concurrent clients. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Engine, type EngineOptions, type LogLine } from '../../src/engine/index.js';

export interface App {
  engine: Engine;
  root: string;
  port: number;
  logs: LogLine[];
  stop(): Promise<void>;
}

/** Writes `files` (relative path → text) into a new folder and serves it. */
export async function serveApp(
  files: Record<string, string>,
  opts: EngineOptions = {},
): Promise<App> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pse-fault-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
  const logs: LogLine[] = [];
  const engine = await Engine.open(root, { logFiles: false, ...opts, log: (l) => logs.push(l) });
  const { port } = await engine.listen(0);
  return {
    engine,
    root,
    port,
    logs,
    stop: async () => {
      await engine.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface Reply {
  status: number;
  body: string;
}

export function get(port: number, urlPath: string, agent?: http.Agent): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export interface LoadTally {
  ok: number;
  /** "503 the worker pool is stopping", "ECONNRESET"…, each with its count */
  failures: Map<string, number>;
}

/**
 * `clients` keep-alive connections, each sending `urlPath` again as soon as its answer came,
 * until `stop()`; resolves with how many got 200 and what the others got.
 */
export function load(
  port: number,
  urlPath: string,
  clients: number,
): { stop(): Promise<LoadTally>; tally: LoadTally } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const tally: LoadTally = { ok: 0, failures: new Map() };
  let running = true;
  const note = (what: string): void => {
    tally.failures.set(what, (tally.failures.get(what) ?? 0) + 1);
  };
  const client = async (): Promise<void> => {
    while (running) {
      try {
        const r = await get(port, urlPath, agent);
        if (r.status === 200) tally.ok++;
        else note(`${r.status} ${r.body.slice(0, 200)}`);
      } catch (err) {
        note((err as NodeJS.ErrnoException).code ?? String(err));
      }
    }
  };
  const all = Promise.all(Array.from({ length: clients }, client));
  return {
    tally,
    stop: async () => {
      running = false;
      await all;
      agent.destroy();
      return tally;
    },
  };
}
