/**
 * Cold start and idle memory of `pse serve` on a copy of examples/: the median of 10 starts from
 * spawn to the first 200 of /hello.pt, for a development server and a `--production` one; then
 * the resident memory of one idle server (Node and its workers, 2 of them), 2 s after its first
 * page, and the CPU an idle server spends (ms per second over 10 s: its timers and heartbeats).
 * Each start is a fresh process (the OS file cache is warm after the first).
 * Goals: cold start ≤ 500 ms with 2 workers, idle RSS ≤ 150 MB.
 * Then `--production` starts on a store of 200,000 sessions, alternately as its last orderly
 * close left it and with its note of that close taken away (so that the start checks every
 * page, as after a crash): what a restart of a server with real data waits for.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { loadAverage } from './load.js';
import type { PreviewValue } from '../src/common/types/session.js';
import { SqliteSessionStore } from '../src/engine/session/sqlite-store.js';
import {
  childrenOf,
  copyExamples,
  cpuOf,
  startPse,
  stopPse,
  type PseServer,
} from './pse-server.js';

const STARTS = 10;
const WORKERS = '2';

function status(url: string): Promise<number> {
  return new Promise((resolve) => {
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', () => resolve(0));
  });
}

/** one start: ms from spawn to the first 200, and the server (still running) */
async function coldStart(app: string, development: boolean): Promise<[number, PseServer]> {
  const t0 = performance.now();
  const s = await startPse(app, { development, workers: WORKERS });
  while ((await status(`${s.url}/hello.pt`)) !== 200) {
    if (performance.now() - t0 > 60_000) throw new Error('no 200 from /hello.pt within 60 s');
  }
  return [performance.now() - t0, s];
}

/** VmRSS of a process, in bytes */
function rss(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

const MB = (b: number): string => `${(b / 1024 / 1024).toFixed(0)} MB`;

export interface StartupFigures {
  /** ms from spawn to the first 200, each start */
  development: number[];
  production: number[];
  /** idle RSS in bytes of a --production server: Node, its children together, how many */
  rss: { node: number; children: number; count: number };
  /** CPU ms per second of an idle server, Node and its children */
  idleDevelopment: { node: number; children: number };
  idleProduction: { node: number; children: number };
}

/** Over IDLE_MS: what an idle server and its children spend of the CPU (ms per second). */
const IDLE_MS = 10_000;
async function idleCpu(pid: number): Promise<{ node: number; children: number }> {
  const kids = childrenOf(pid);
  const sum = (pids: number[]): number => pids.reduce((t, p) => t + cpuOf(p), 0);
  const [n0, k0] = [cpuOf(pid), sum(kids)];
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const perSecond = (us: number): number => us / 1000 / (IDLE_MS / 1000);
  return { node: perSecond(cpuOf(pid) - n0), children: perSecond(sum(kids) - k0) };
}

/** STARTS cold starts of each kind, then the idle memory of the last --production one. */
export async function measureStartup(): Promise<StartupFigures> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-start-'));
  const figures: StartupFigures = {
    development: [],
    production: [],
    rss: { node: 0, children: 0, count: 0 },
    idleDevelopment: { node: 0, children: 0 },
    idleProduction: { node: 0, children: 0 },
  };
  try {
    const app = copyExamples(path.join(base, 'app'));
    for (const development of [true, false]) {
      for (let i = 0; i < STARTS; i++) {
        const [ms, s] = await coldStart(app, development);
        (development ? figures.development : figures.production).push(ms);
        if (i === STARTS - 1) {
          await new Promise((r) => setTimeout(r, 2000));
          const pid = s.child.pid!;
          const workers = childrenOf(pid);
          if (!development)
            figures.rss = {
              node: rss(pid),
              children: workers.reduce((sum, w) => sum + rss(w), 0),
              count: workers.length,
            };
          figures[development ? 'idleDevelopment' : 'idleProduction'] = await idleCpu(pid);
        }
        await stopPse(s);
      }
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  return figures;
}

/** Sessions in the store of the restart figures. */
const BIG_STORE_SESSIONS = 200_000;
const BIG_STORE_STARTS = 5;

/** An app whose --production store holds `n` sessions like the session example's, closed in order. */
async function appWithStore(dir: string, n: number): Promise<{ app: string; file: string }> {
  const app = copyExamples(path.join(dir, 'big'));
  const file = path.join(app, '.pse', 'sessions.sqlite');
  const store = new SqliteSessionStore({ file, exclusive: true });
  const preview: PreviewValue = { t: 'dict', v: [['name', { t: 'str', v: 'Nick' }]] };
  const pickle = Buffer.from('x'.repeat(40));
  const now = Date.now();
  for (let i = 0; i < n; i += 1000) {
    const batch: Promise<unknown>[] = [];
    for (let k = i; k < Math.min(n, i + 1000); k++)
      batch.push(
        store.commit({
          id: `bench${String(k).padStart(38, '0')}`,
          now,
          expires: now + 24 * 3600_000,
          create: true,
          upsert: new Map([['', { pickle, preview }]]),
          delete: [],
        }),
      );
    await Promise.all(batch);
  }
  await store.close();
  return { app, file };
}

export interface RestartFigures {
  sessions: number;
  megabytes: number;
  /** ms to the first 200, each start: after an orderly close, and checked */
  inOrder: number[];
  checked: number[];
}

/** Starts of a --production server on a big store, in order and checked, alternated. */
export async function measureRestarts(): Promise<RestartFigures> {
  const base = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-restart-'));
  try {
    const { app, file } = await appWithStore(base, BIG_STORE_SESSIONS);
    const f: RestartFigures = {
      sessions: BIG_STORE_SESSIONS,
      megabytes: statSync(file).size / 1024 / 1024,
      inOrder: [],
      checked: [],
    };
    for (let i = 0; i < BIG_STORE_STARTS * 2; i++) {
      const check = i % 2 === 1;
      if (check) rmSync(`${file}.closed`, { force: true });
      else if (!existsSync(`${file}.closed`)) throw new Error(`${file}: no note of its close`);
      const [ms, s] = await coldStart(app, false);
      await stopPse(s);
      (check ? f.checked : f.inOrder).push(ms);
    }
    return f;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function run(): Promise<string[]> {
  const lines = [`load average ${loadAverage()} (${os.cpus().length} cores)`];
  const f = await measureStartup();
  for (const development of [true, false]) {
    const times = development ? f.development : f.production;
    lines.push(
      `cold start to the first 200, ${development ? 'development' : '--production'}, ${WORKERS} workers: median ${median(times).toFixed(0)} ms of ${STARTS} (min ${Math.min(...times).toFixed(0)}, max ${Math.max(...times).toFixed(0)}; goal ≤ 500 ms)`,
    );
  }
  lines.push(
    `idle RSS, --production, Node + its ${f.rss.count} child processes: ${MB(f.rss.node + f.rss.children)} (Node ${MB(f.rss.node)}, children ${MB(f.rss.children)}; goal ≤ 150 MB)`,
  );
  for (const [kind, idle] of [
    ['development', f.idleDevelopment],
    ['--production', f.idleProduction],
  ] as const)
    lines.push(
      `idle CPU, ${kind}, over ${IDLE_MS / 1000} s: Node ${idle.node.toFixed(1)} ms/s, its children ${idle.children.toFixed(1)} ms/s`,
    );
  const r = await measureRestarts();
  lines.push(
    `--production start with a store of ${r.sessions.toLocaleString('en')} sessions (${r.megabytes.toFixed(0)} MB), median of ${BIG_STORE_STARTS} each, alternated: ${median(r.inOrder).toFixed(0)} ms after an orderly close, ${median(r.checked).toFixed(0)} ms checked (as after a crash): ${(median(r.inOrder) / median(r.checked)).toFixed(2)}×`,
  );
  return lines;
}
