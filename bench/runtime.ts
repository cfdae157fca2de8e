/**
 * The worker pool's overhead, measured the way the product target is stated: requests per second
 * of a node:http server whose every request runs a servlet in the pool, against a bare node:http
 * server answering the same bytes. Target: ≥ 35 % of bare with pipelining (maxInFlight 8, the default).
 */
import { defaultConfig, toWorkerConfig } from '../src/engine/config/index.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { WorkerPool } from '../src/engine/runtime/pool.js';
import type { RunInput } from '../src/engine/runtime/run.js';
import type { WorkerConfig } from '../src/engine/runtime/protocol.js';
import { resolvePython } from '../src/engine/runtime/python.js';
import { TemplateSources } from '../src/engine/runtime/sources.js';
import { compileTemplate } from '../src/engine/template/index.js';

/** the part of autocannon's API used here (the package ships no types) */
interface CannonResult {
  requests: { average: number };
  non2xx: number;
  errors: number;
}
type Cannon = (opts: {
  url: string;
  connections: number;
  duration: number;
}) => Promise<CannonResult>;
const AUTOCANNON = 'autocannon';
const autocannon = ((await import(AUTOCANNON)) as { default: Cannon }).default;

const DURATION_S = 3;
const ROUNDS = 2;
const CONNECTIONS = 32;

async function rps(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    // warm-up, then the measured run
    await autocannon({
      url: `http://127.0.0.1:${port}/hello.pt`,
      connections: CONNECTIONS,
      duration: 1,
    });
    const res = await autocannon({
      url: `http://127.0.0.1:${port}/hello.pt`,
      connections: CONNECTIONS,
      duration: DURATION_S,
    });
    if (res.non2xx > 0 || res.errors > 0)
      throw new Error(`${res.non2xx} non-2xx and ${res.errors} errors during the run`);
    return res.requests.average;
  } finally {
    await new Promise((r) => server.close(r));
  }
}

export async function run(): Promise<string[]> {
  const root = mkdtempSync(path.join(tmpdir(), 'pse-bench-rt-'));
  writeFileSync(path.join(root, 'hello.py'), "name = 'world'\n");
  writeFileSync(path.join(root, 'hello.pt'), 'Hello <?= name ?>!');
  const python = (await resolvePython()).executable;
  const config: WorkerConfig = toWorkerConfig(defaultConfig(root, { production: true }));

  const workers = Math.max(1, cpus().length);
  const servlet = path.join(root, 'hello.pt');
  const bare: http.RequestListener = (_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end('Hello world!');
  };
  const through =
    (pool: WorkerPool): http.RequestListener =>
    (req, res) => {
      const input: RunInput = {
        servlet,
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        path: '/hello.pt',
        query: '',
        headers: [],
        remote: [req.socket.remoteAddress ?? '', req.socket.remotePort ?? 0],
        local: [req.socket.localAddress ?? '', req.socket.localPort ?? 0],
        form: [],
        session: null,
        dry: false,
      };
      pool.run(input).then(
        (r) => {
          res.statusCode = r.status;
          for (const [k, v] of r.headers) res.setHeader(k, v);
          res.end(r.body);
        },
        (err: Error) => {
          res.statusCode = 502;
          res.end(err.message);
        },
      );
    };
  const pools = [1, 8].map(
    (maxInFlight) =>
      new WorkerPool({
        python,
        workers,
        appRoot: root,
        config,
        requestTimeoutMs: 30_000,
        maxInFlight,
        sources: new TemplateSources(compileTemplate).provide,
      }),
  );
  const lines: string[] = [];
  try {
    await Promise.all(pools.map((p) => p.start()));
    // Rounds of bare / pool×1 / pool×8 back to back, best of each: the ratios then compare runs
    // taken under the same machine load (other work on 2 cores moves single figures a lot).
    const best = [0, 0, 0];
    for (let round = 0; round < ROUNDS; round++) {
      const handlers = [bare, ...pools.map(through)];
      for (let i = 0; i < handlers.length; i++)
        best[i] = Math.max(best[i]!, await rps(handlers[i]!));
    }
    const [b, p1, p8] = best as [number, number, number];
    const pct = (x: number): string => `${((100 * x) / b).toFixed(0)} % of bare`;
    lines.push(`bare node:http                    ${b.toFixed(0).padStart(7)} req/s`);
    lines.push(
      `pool, ${workers} workers, maxInFlight 1    ${p1.toFixed(0).padStart(7)} req/s  ${pct(p1)}`,
    );
    lines.push(
      `pool, ${workers} workers, maxInFlight 8    ${p8.toFixed(0).padStart(7)} req/s  ${pct(p8)} (target ≥ 35 %)`,
    );
  } finally {
    await Promise.all(pools.map((p) => p.stop()));
    rmSync(root, { recursive: true, force: true });
  }
  return lines;
}
