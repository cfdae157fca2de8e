/**
 * Every performance goal in one run, each as a ratio of figures taken minutes apart at most:
 * PSE and the peers of bench-peers (their own `wrk/bench.lua`, run.sh's arguments) take turns
 * on each scenario in rounds (forwards, then backwards), next to a bare node:http server on
 * hello, a development server, PSE on PostgreSQL and the design's floor (`floor.ts`) on the
 * session read path; then cold start,
 * idle memory and compile throughput. Prints one line per goal with every round's ratio and
 * whether the goal is met in all of them. Each window starts once the one before it has been
 * written to disk and the machine has gone quiet (`settle`), so that no contender pays for its
 * predecessor's deferred writes.
 * `npm run bench -- goals --readme` also rewrites the README's table of goals (between its
 * `bench:goals` markers) with the date and the machine's load beside it.
 * Env: PSE_BENCH_SECONDS (5, per window), PSE_BENCH_ROUNDS (2), PSE_BENCH_WORKERS (2),
 * PSE_BENCH_PG (the PostgreSQL server), PSE_PEERS_DIR (the peers' folder).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bareServer } from './bare.js';
import { measureCompile, sustainedRate } from './compile.js';
import { floorServer, stopFloor } from './floor.js';
import { QUIET_SHARE, loadAverage, settle } from './load.js';
import { dropSchema } from './pg.js';
import {
  ROOT,
  benchPython,
  copyExamples,
  onPostgres,
  startPse,
  stopPse,
  type PseServer,
} from './pse-server.js';
import { measureStartup, median } from './startup.js';
import {
  SCENARIOS,
  THREADS,
  CONNS,
  cookieFileFor,
  cookieFiles,
  failuresOf,
  hasWrk,
  rpsOf,
  runningPeers,
  wrk,
  wrkDir as peersWrkDir,
  type ScenarioName,
} from './wrk.js';

const SECONDS = Number(process.env.PSE_BENCH_SECONDS ?? 5);
const ROUNDS = Math.max(1, Math.floor(Number(process.env.PSE_BENCH_ROUNDS ?? 2)));
const WORKERS = process.env.PSE_BENCH_WORKERS ?? '2';
const WARMUP = 2;
const README = path.join(ROOT, 'README.md');
/** The contender that stands for the design's floor (`floor.ts`). */
const FLOOR = 'design floor';
const BEGIN = '<!-- bench:goals -->';
const END = '<!-- /bench:goals -->';

/** What is loaded: a server and the scenarios it takes part in. */
interface Contender {
  name: string;
  url: string;
  scenarios: ScenarioName[];
  files?: { shared: string; pool: string };
}

/** req/s per contender and scenario, one entry per round */
type Table = Map<string, Map<ScenarioName, number[]>>;

interface Goal {
  what: string;
  target: string;
  /** one figure per round (a ratio), or one figure for the run */
  figures: number[];
  format: (x: number) => string;
  met: (x: number) => boolean;
}

const times = (x: number): string => `${x.toFixed(2)}×`;
const percent = (x: number): string => `${(x * 100).toFixed(0)} %`;

/** The round's req/s of `name` on `scenario` (NaN when it did not take part). */
function rps(table: Table, name: string, scenario: ScenarioName, round: number): number {
  return table.get(name)?.get(scenario)?.[round] ?? NaN;
}

/** Per round: a ÷ b. */
function ratios(table: Table, a: string, b: string, scenario: ScenarioName): number[] {
  return Array.from(
    { length: ROUNDS },
    (_, r) => rps(table, a, scenario, r) / rps(table, b, scenario, r),
  );
}

/** Per round: PSE ÷ the fastest peer of that round, and that peer's name. */
function againstBest(
  table: Table,
  pse: string,
  peers: string[],
  scenario: ScenarioName,
): { figures: number[]; best: string[] } {
  const figures: number[] = [];
  const best: string[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let top = '';
    for (const p of peers)
      if (!top || rps(table, p, scenario, r) > rps(table, top, scenario, r)) top = p;
    best.push(top);
    figures.push(top ? rps(table, pse, scenario, r) / rps(table, top, scenario, r) : NaN);
  }
  return { figures, best };
}

/**
 * What the design's floor says of the session read, per round: how fast the floor was against
 * PHP-FPM (PSE cannot pass that figure here), and how much of the floor PSE reached.
 */
function floorReading(table: Table, php: string): string {
  const scenario: ScenarioName = 'sess-per-conn';
  const list = (xs: number[], f: (x: number) => string): string =>
    xs.map((x) => (Number.isFinite(x) ? f(x) : '—')).join(', ');
  const vsPhp = php ? ratios(table, FLOOR, php, scenario) : [NaN];
  return `The design's floor (\`bench/floor.ts\`: node:http and ${WORKERS} Python processes over pipes, no session, no page) on the session read: ${list(vsPhp, times)} PHP-FPM, the most any server built as PSE is could reach here; PSE reached ${list(ratios(table, 'pse', FLOOR, scenario), percent)} of it.`;
}

async function loadRounds(contenders: Contender[], dir: string, lines: string[]): Promise<Table> {
  const table: Table = new Map(contenders.map((c) => [c.name, new Map()]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of SCENARIOS) {
      const taking = contenders.filter((c) => c.scenarios.includes(s.name));
      for (const c of round % 2 ? [...taking].reverse() : taking) {
        const url = c.url + s.url;
        const file = c.files ? cookieFileFor(s, c.files) : '-';
        const busy = await settle();
        await wrk(dir, WARMUP, url, file, s.expect);
        const result = await wrk(dir, SECONDS, url, file, s.expect);
        const failed = failuresOf(result);
        // A server that answers wrongly is not fast: its figure does not count.
        const figure = failed ? NaN : rpsOf(result);
        const row = table.get(c.name)!;
        row.set(s.name, [...(row.get(s.name) ?? []), figure]);
        lines.push(
          `  round ${round + 1} ${s.name.padEnd(13)} ${c.name.padEnd(16)} ${figure.toFixed(0).padStart(6)} req/s${failed ? `  (${failed} failed responses: not counted)` : ''}${busy >= QUIET_SHARE ? `  (started with the machine ${(busy * 100).toFixed(0)} % busy)` : ''}`,
        );
      }
    }
  }
  return table;
}

function goalLine(g: Goal): string {
  const all = g.figures.every((x) => Number.isFinite(x) && g.met(x));
  const known = g.figures.some((x) => Number.isFinite(x));
  const verdict = !known ? 'not measured' : all ? 'met' : 'not met';
  return `${g.what}: ${g.figures.map((x) => (Number.isFinite(x) ? g.format(x) : '—')).join(', ')} (goal ${g.target}): ${verdict}`;
}

function readmeTable(
  goals: Goal[],
  table: Table,
  floor: string,
  when: string,
  load: string,
  python: string,
): string {
  const rows = goals.map((g) => {
    const line = goalLine(g);
    const verdict = line.slice(line.lastIndexOf(': ') + 2);
    const figs = g.figures.map((x) => (Number.isFinite(x) ? g.format(x) : '—')).join(', ');
    return `| ${g.what} | ${figs} | ${g.target} | ${verdict} |`;
  });
  const names = [...table.keys()];
  const scenarioRows = SCENARIOS.map((s) => {
    const cells = names.map((n) => {
      const xs = table.get(n)!.get(s.name);
      return xs ? xs.map((x) => (Number.isFinite(x) ? x.toFixed(0) : '—')).join(' / ') : '';
    });
    return `| ${s.name} | ${cells.join(' | ')} |`;
  });
  return [
    BEGIN,
    `Measured by \`npm run bench -- goals --readme\` on ${when}: ${os.cpus().length} cores, load average ${load}; wrk -t${THREADS} -c${CONNS} with bench-peers' \`bench.lua\`, ${ROUNDS} rounds of ${SECONDS} s windows, ${WORKERS} Python workers on ${python}. One figure per round; a goal is met when every round meets it.`,
    '',
    '| goal | figure per round | target | |',
    '|---|---|---|---|',
    ...rows,
    '',
    floor,
    '',
    'Requests per second in the same run (one figure per round):',
    '',
    `| scenario | ${names.join(' | ')} |`,
    `|---|${names.map(() => '---').join('|')}|`,
    ...scenarioRows,
    END,
  ].join('\n');
}

function writeReadme(block: string): void {
  const text = readFileSync(README, 'utf8');
  const a = text.indexOf(BEGIN);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${BEGIN} … ${END} block to rewrite`);
  writeFileSync(README, text.slice(0, a) + block + text.slice(b + END.length));
}

export async function run(): Promise<string[]> {
  const dir = peersWrkDir();
  if (!dir) return ['goals: no bench-peers folder (set PSE_PEERS_DIR): nothing to compare'];
  if (!(await hasWrk())) return ['goals: wrk is not installed (see bench-peers/setup.sh)'];
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC';
  const loadBefore = loadAverage();
  const python = await benchPython();
  // the Python peers' interpreter unless PSE_BENCH_PYTHON says otherwise (pse-server.ts)
  const pythonText = `Python ${python.version} (\`${python.executable}\`, as the Python peers; the floor's too)`;
  const lines = [`load before: ${loadBefore}`, `PSE's workers: ${pythonText}`];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'pse-bench-goals-'));
  const schema = `pse_bench_goals_${process.pid}`;
  const servers: PseServer[] = [];
  let bareChild: { kill(): boolean } | undefined;
  let floorChild: ChildProcess | undefined;
  const goals: Goal[] = [];
  let table: Table;
  let floorNote: string;
  try {
    const pgApp = copyExamples(path.join(tmp, 'pg'));
    onPostgres(pgApp, `${schema}.pse_session`);
    const start = async (app: string, development = false): Promise<PseServer> => {
      const s = await startPse(app, { development, workers: WORKERS });
      servers.push(s);
      return s;
    };
    const prod = await start(copyExamples(path.join(tmp, 'prod')));
    const dev = await start(copyExamples(path.join(tmp, 'dev')), true);
    const pg = await start(pgApp);
    const sample = await fetch(`${prod.url}/hello`);
    const body = Buffer.from(await sample.arrayBuffer());
    const bare = await bareServer(body, sample.headers.get('content-type') ?? 'text/html');
    bareChild = bare.child;
    const floor = await floorServer(python.executable, Number(WORKERS));
    floorChild = floor.child;
    const peers = await runningPeers();
    if (!peers.length)
      lines.push('  no peer answers: start them (bench-peers: setup.sh, then start.sh)');
    const all: ScenarioName[] = SCENARIOS.map((s) => s.name);
    const contenders: Contender[] = [
      { name: 'pse', url: prod.url, scenarios: all },
      { name: 'pse development', url: dev.url, scenarios: ['sess-per-conn'] },
      { name: 'pse PostgreSQL', url: pg.url, scenarios: ['sess-per-conn'] },
      { name: 'bare node:http', url: bare.url.replace(/\/hello$/, ''), scenarios: ['hello'] },
      { name: FLOOR, url: floor.url, scenarios: ['sess-per-conn'] },
      ...peers.map(([n, port]) => ({
        name: n,
        url: `http://127.0.0.1:${port}`,
        scenarios: all,
      })),
    ];
    for (const c of contenders)
      if (c.scenarios.some((s) => s.startsWith('sess')))
        c.files = await cookieFiles(c.url, path.join(tmp, c.name.replace(/\W+/g, '-')));
    table = await loadRounds(contenders, dir, lines);
    const peerNames = peers.map(([n]) => n);
    const php = peerNames.includes('php-fpm') ? 'php-fpm' : '';
    floorNote = floorReading(table, php);
    const vsPhp = (scenario: ScenarioName, pse = 'pse'): number[] =>
      php ? ratios(table, pse, php, scenario) : [NaN];
    const best = (scenario: ScenarioName, pse = 'pse'): Goal => {
      const b = againstBest(table, pse, peerNames, scenario);
      return {
        what: `${pse === 'pse' ? scenario : `${scenario}, ${pse}`} ÷ the best peer (${[...new Set(b.best)].join(', ')})`,
        target: '> 1',
        figures: b.figures,
        format: times,
        met: (x) => x > 1,
      };
    };
    goals.push(
      {
        what: 'hello ÷ bare node:http',
        target: '≥ 50 %',
        figures: ratios(table, 'pse', 'bare node:http', 'hello'),
        format: percent,
        met: (x) => x >= 0.5,
      },
      best('hello'),
      {
        what: 'sess-per-conn (session read, one cookie per connection) ÷ PHP-FPM',
        target: '≥ 2×',
        figures: vsPhp('sess-per-conn'),
        format: times,
        met: (x) => x >= 2,
      },
      best('sess-per-conn'),
      {
        what: 'sess-shared (one hot session) ÷ PHP-FPM',
        target: '≥ 1.5×',
        figures: vsPhp('sess-shared'),
        format: times,
        met: (x) => x >= 1.5,
      },
      best('sess-shared'),
      {
        what: 'sess-new (a new session per request) ÷ PHP-FPM',
        target: '≥ 1.5×',
        figures: vsPhp('sess-new'),
        format: times,
        met: (x) => x >= 1.5,
      },
      best('sess-new'),
      {
        what: 'development server ÷ --production, sess-per-conn',
        target: '≥ 80 %',
        figures: ratios(table, 'pse development', 'pse', 'sess-per-conn'),
        format: percent,
        met: (x) => x >= 0.8,
      },
      {
        what: 'PostgreSQL store ÷ SQLite store (--production), sess-per-conn',
        target: '≥ 50 %',
        figures: ratios(table, 'pse PostgreSQL', 'pse', 'sess-per-conn'),
        format: percent,
        met: (x) => x >= 0.5,
      },
      best('sess-per-conn', 'pse PostgreSQL'),
    );
  } finally {
    bareChild?.kill();
    if (floorChild) stopFloor(floorChild);
    for (const s of servers) await stopPse(s);
    await dropSchema(schema).catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
  // the servers just stopped leave writes behind (their journals, PostgreSQL's): not this
  // measurement's cost
  await settle();
  const startup = await measureStartup();
  await settle();
  const compile = measureCompile();
  const rssMB = (startup.rss.node + startup.rss.children) / 1024 / 1024;
  goals.push(
    {
      what: `cold start, \`pse serve --production --workers 2\` to the first 200, median of ${startup.production.length}`,
      target: '≤ 500 ms',
      figures: [median(startup.production)],
      format: (x) => `${x.toFixed(0)} ms`,
      met: (x) => x <= 500,
    },
    {
      what: 'the same, development server',
      target: '≤ 500 ms',
      figures: [median(startup.development)],
      format: (x) => `${x.toFixed(0)} ms`,
      met: (x) => x <= 500,
    },
    {
      what: `idle RSS, Node + ${startup.rss.count} workers`,
      target: '≤ 150 MB',
      figures: [rssMB],
      format: (x) => `${x.toFixed(0)} MB`,
      met: (x) => x <= 150,
    },
    {
      what: 'compile, 1 MB template, sustained over 30 compiles by CPU time',
      target: '≥ 50 MB/s',
      figures: [sustainedRate(compile)],
      format: (x) => `${x.toFixed(1)} MB/s`,
      met: (x) => x >= 50,
    },
  );
  const loadAfter = loadAverage();
  lines.push(`load after: ${loadAfter}`, '', ...goals.map(goalLine), '', floorNote);
  if (process.argv.includes('--readme')) {
    writeReadme(
      readmeTable(goals, table, floorNote, when, `${loadBefore} → ${loadAfter}`, pythonText),
    );
    lines.push('README.md: the table of goals is rewritten');
  }
  return lines;
}
