/**
 * The Python worker's instructions per request, counted by valgrind (cachegrind, no cache
 * simulation): the same count for the same code and inputs whatever else the machine is doing,
 * where a timing on these VMs moves by ±20 % between runs. For the example app's hello page,
 * its session read (one namespace, `{'name': 'Nick'}`), the same read journaled (`record`, as a
 * development server sends it) and a new session (`?name=Nick`): what the worker does itself
 * per job (decode the `req` header, then `_worker.run_req`: run the page, encode the `res`, keep
 * the session's copy), not the pipe's system calls (src/engine/python/tests/bench_instructions.py).
 * Each count is the difference between two runs, 100 and 400 requests after the same warm-up,
 * divided by 300.
 *
 * This tree and PSE_BENCH_BASE (a git revision, default the merge base with main) are measured
 * with the same `req` frames, as this tree's Node writes them; the ratio is this ÷ base.
 * Needs valgrind (`apt-get install -y valgrind`); skipped with a line saying so without it.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig, toWorkerConfig } from '../src/engine/config/index.js';
import type { CompiledSource, ReqMsg } from '../src/engine/runtime/protocol.js';
import { resolvePython } from '../src/engine/runtime/python.js';
import { compiledSource } from '../src/engine/runtime/sources.js';
import { compileTemplate } from '../src/engine/template/index.js';
import { ROOT, baseRevision, checkOutBase } from './base-tree.js';
import { copyExamples } from './pse-server.js';

const FEW = 100;
const MANY = 400;
const DRIVER = path.join(ROOT, 'src/engine/python/tests/bench_instructions.py');
const SESSION_ID = 'BenchBenchBenchBenchBenchBenchBenchBenchBen';

interface Scenario {
  name: string;
  header: ReqMsg;
  blobs: Buffer[];
}

/** A command's stdout and stderr together (its error, stderr included, rejects). */
async function capture(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout, stderr } = await promisify(execFile)(cmd, args, {
    env,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout + stderr;
}

/** valgrind is installed (its `--version` answers). */
function hasValgrind(): Promise<boolean> {
  return new Promise((resolve) => execFile('valgrind', ['--version'], (err) => resolve(!err)));
}

/** A request as the pool writes it (runtime/pool.ts): the fields at their defaults left out. */
function request(app: string, page: string, query: string, session: boolean): ReqMsg {
  const msg: ReqMsg = {
    t: 'req',
    id: 1,
    servlet: path.join(app, `${page}.pt`),
    method: 'GET',
    url: `/${page}${query ? `?${query}` : ''}`,
    path: `/${page}`,
    headers: [
      ['host', '127.0.0.1:18090'],
      ...(session ? [['cookie', `pse_example=${SESSION_ID}`] as [string, string]] : []),
    ],
    remote: ['127.0.0.1', 40000],
    local: ['127.0.0.1', 18090],
    session: session ? { id: SESSION_ID, ns: { '': 0 } } : null,
  };
  if (query) msg.query = query;
  return msg;
}

async function scenarios(app: string, python: string): Promise<Scenario[]> {
  // the pickle the session plugin stores for {'name': 'Nick'}
  const pickle = Buffer.from(
    (
      await capture(python, [
        '-c',
        "import pickle, sys; sys.stdout.write(pickle.dumps({'name': 'Nick'}, protocol=5).hex())",
      ])
    ).trim(),
    'hex',
  );
  const read = request(app, 'session_example', '', true);
  return [
    { name: 'hello', header: request(app, 'hello', '', false), blobs: [] },
    { name: 'session read', header: read, blobs: [pickle] },
    { name: 'session read, journaled', header: { ...read, record: true }, blobs: [pickle] },
    {
      name: 'new session',
      header: request(app, 'session_example', 'name=Nick', false),
      blobs: [],
    },
  ];
}

/** Instructions valgrind counted for the driver running `n` requests of `spec`. */
async function count(python: string, tree: string, spec: string, n: number): Promise<number> {
  const out = await capture(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      python,
      DRIVER,
      spec,
      String(n),
    ],
    { ...process.env, PYTHONPATH: path.join(tree, 'src/engine/python'), PYTHONHASHSEED: '0' },
  );
  const m = /I\s+refs:\s+([\d,]+)/.exec(out);
  if (!m) throw new Error(`valgrind printed no instruction count:\n${out}`);
  return Number(m[1]!.replace(/,/g, ''));
}

async function perRequest(python: string, tree: string, spec: string): Promise<number> {
  // side by side: an instruction count does not depend on what else the machine runs
  const [few, many] = await Promise.all([
    count(python, tree, spec, FEW),
    count(python, tree, spec, MANY),
  ]);
  return Math.round((many - few) / (MANY - FEW));
}

export async function run(): Promise<string[]> {
  if (!(await hasValgrind()))
    return ['skipped: valgrind is not installed (apt-get install -y valgrind)'];
  const python = (await resolvePython()).executable;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-bench-ir-'));
  try {
    const app = copyExamples(path.join(tmp, 'app'));
    const config = toWorkerConfig(await loadConfig(app, { production: true }));
    const templates: CompiledSource[] = [];
    for (const page of ['hello', 'session_example']) {
      const file = path.join(app, `${page}.pt`);
      const out = compileTemplate(fs.readFileSync(file, 'utf8'), { file });
      if (!out.ok) throw new Error(`${file} does not compile: ${out.errors[0]!.message}`);
      templates.push(compiledSource(out, file));
    }
    const rev = baseRevision();
    const base = checkOutBase(rev, tmp);
    const lines = [
      `worker instructions per request (valgrind; the worker's own work per job, no pipe), this tree and base ${rev.slice(0, 10)}:`,
    ];
    for (const s of await scenarios(app, python)) {
      const header = {
        ...s.header,
        ...(s.blobs.length ? { b: s.blobs.map((b) => b.length) } : {}),
      };
      const spec = path.join(tmp, 'spec.json');
      fs.writeFileSync(
        spec,
        JSON.stringify({
          app,
          config,
          templates,
          header: JSON.stringify(header),
          blobs: s.blobs.map((b) => b.toString('hex')),
        }),
      );
      const mine = await perRequest(python, ROOT, spec);
      const theirs = await perRequest(python, base, spec);
      lines.push(
        `  ${s.name.padEnd(24)} ${mine.toLocaleString('en').padStart(9)}  base ${theirs.toLocaleString('en').padStart(9)}  ${(mine / theirs).toFixed(3)}×`,
      );
    }
    return lines;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
