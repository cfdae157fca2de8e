/**
 * CPU microseconds per request of the Node process and of its Python processes, for the peers'
 * scenarios (hello, sess-per-conn, sess-shared, sess-new): `pse serve --production --quiet` on a
 * copy of examples/, loaded with wrk and the peers' `bench.lua`, utime+stime read from /proc
 * before and after. CPU per request is robust when the 2 cores are shared with other work,
 * unlike req/s.
 *
 * The design's floor (`floor.ts`: node:http and the same number of Python processes over pipes,
 * no session, no page) takes its turn on the session scenarios, and each of PSE's sides is
 * printed as a multiple of the floor's: what PSE's own work adds to what any server built as PSE
 * is pays here, on the Node side and on the Python side apart.
 *
 * Env: PSE_BENCH_SECONDS (5), PSE_BENCH_WORKERS (2), PSE_BENCH_SCENARIOS (all; a comma-separated
 * subset), PSE_PEERS_DIR; PSE_BENCH_BASE: another checkout (e.g. `git archive HEAD | tar -x`)
 * measured in turn with this one, for before/after figures taken under the same load.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { floorServer, stopFloor } from './floor.js';
import { loadAverage } from './load.js';
import {
  ROOT,
  benchPython,
  childrenOf,
  copyExamples,
  cpuOf,
  pseCommand,
  startPse,
  stopPse,
  type PseServer,
} from './pse-server.js';
import {
  SCENARIOS,
  cookieFileFor,
  cookieFiles,
  failuresOf,
  wrk,
  wrkDir as peersWrkDir,
  type Scenario,
  type ScenarioName,
} from './wrk.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 5);
const WORKERS = process.env.PSE_BENCH_WORKERS ?? '2';
const WARMUP = 2;
const ONLY = process.env.PSE_BENCH_SCENARIOS?.split(',');
const FLOOR = 'floor';
/** The floor has no hello page: it answers the session scenarios only. */
const FLOOR_SKIPS: ScenarioName[] = ['hello'];

/** A server under measure: its Node process, and its cookie files. */
interface Target {
  label: string;
  url: string;
  pid: number;
  files: { shared: string; pool: string };
}

interface Figure {
  node: number;
  python: number;
  line: string;
}

async function pseTarget(root: string, label: string, tmp: string): Promise<[Target, PseServer]> {
  const app = copyExamples(path.join(tmp, `app-${label}`));
  const server = await startPse(app, { command: pseCommand(root), workers: WORKERS });
  const files = await cookieFiles(server.url, path.join(tmp, `cookies-${label}`));
  return [{ label, url: server.url, pid: server.child.pid!, files }, server];
}

/** One window of `s` on `t` (after a warm-up): CPU per request of each side. */
async function window(t: Target, s: Scenario, dir: string): Promise<Figure> {
  const file = cookieFileFor(s, t.files);
  await wrk(dir, WARMUP, t.url + s.url, file, s.expect);
  // the floor's Python processes and PSE's workers alike: a worker respawned meanwhile is missed
  const children = childrenOf(t.pid);
  const node0 = cpuOf(t.pid);
  const py0 = children.reduce((sum, w) => sum + cpuOf(w), 0);
  const result = await wrk(dir, SECONDS, t.url + s.url, file, s.expect);
  const node1 = cpuOf(t.pid);
  const py1 = children.reduce((sum, w) => sum + cpuOf(w), 0);
  const requests = Number(/requests=(\d+)/.exec(result)![1]);
  const rps = /rps=([\d.]+)/.exec(result)![1]!;
  const node = (node1 - node0) / requests;
  const python = (py1 - py0) / requests;
  return {
    node,
    python,
    line:
      `${t.label.padEnd(5)} ${s.name.padEnd(14)} node ${node.toFixed(1)} us/req, ` +
      `python ${python.toFixed(1)} us/req (all children), ${rps} req/s, ${requests} requests, ` +
      `${failuresOf(result)} failed`,
  };
}

export async function run(): Promise<string[]> {
  const dir = peersWrkDir();
  if (!dir) return ['cpu: no bench-peers/wrk/bench.lua'];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-cpu-'));
  const base = process.env.PSE_BENCH_BASE;
  const scenarios = SCENARIOS.filter((s) => !ONLY || ONLY.includes(s.name));
  const python = await benchPython();
  const lines = [
    `load before: ${loadAverage()}`,
    `Python ${python.version} (${python.executable}) for PSE's workers and the floor's`,
  ];
  const servers: PseServer[] = [];
  let floorChild: ChildProcess | undefined;
  try {
    const targets: Target[] = [];
    if (base) {
      const [t, s] = await pseTarget(base, 'base', tmp);
      servers.push(s);
      targets.push(t);
    }
    const [now, server] = await pseTarget(ROOT, 'now', tmp);
    servers.push(server);
    targets.push(now);
    const floor = await floorServer(python.executable, Number(WORKERS));
    floorChild = floor.child;
    // the floor ignores what a cookie says: PSE's files serve it as well
    const floorTarget: Target = { ...now, label: FLOOR, url: floor.url, pid: floor.child.pid! };
    // Alternated, twice with a base, so that a change in the machine's load hits all alike.
    for (let round = 0; round < (base ? 2 : 1); round++) {
      for (const s of scenarios) {
        const figures = new Map<string, Figure>();
        for (const t of [...targets, ...(FLOOR_SKIPS.includes(s.name) ? [] : [floorTarget])]) {
          const f = await window(t, s, dir);
          figures.set(t.label, f);
          lines.push(f.line);
        }
        const mine = figures.get('now')!;
        const least = figures.get(FLOOR);
        if (least)
          lines.push(
            `      ${s.name.padEnd(14)} now ÷ floor: node ${(mine.node / least.node).toFixed(2)}×, python ${(mine.python / least.python).toFixed(2)}×, both ${((mine.node + mine.python) / (least.node + least.python)).toFixed(2)}×`,
          );
      }
    }
  } finally {
    if (floorChild) stopFloor(floorChild);
    for (const s of servers) await stopPse(s);
    rmSync(tmp, { recursive: true, force: true });
  }
  lines.push(`load after: ${loadAverage()}`);
  return lines;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const line of await run()) console.log(line);
}
