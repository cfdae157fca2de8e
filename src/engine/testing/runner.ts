/**
 * Runs `.psetest` files against the app's current code with a fresh, temporary session store:
 * one engine for the run (its own workers, no journal, no log files, no watching), one cookie
 * jar per file, and after each step a comparison of status, outcome and session state, key by
 * key. The app's own store and journal are never touched.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { JournalOutcome } from '../../common/types/journal.js';
import type { NamespaceView } from '../../common/types/session.js';
import type {
  KeyDifference,
  StepResult,
  TestFileResult,
  TestRunResult,
  TestStep,
} from '../../common/types/testing.js';
import { Engine } from '../engine.js';
import type { LogSink } from '../logs/engine-log.js';
import { formatLocated } from '../../common/types/located.js';
import { parseTest, TEST_EXT, TestFileError } from './psetest.js';
import { pyString } from '../../common/python-literal.js';
import { namespaceKeys } from './values.js';

export const TESTS_DIR = 'tests';

export interface RunTestsOptions {
  /** overrides [Main] PythonExecutable */
  python?: string;
  log?: LogSink;
}

/** Every `.psetest` file under APP/tests/, sorted. */
export async function findTests(appRoot: string): Promise<string[]> {
  const dir = path.join(appRoot, TESTS_DIR);
  const names = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return names
    .filter((n) => n.endsWith(TEST_EXT))
    .map((n) => path.join(dir, n))
    .sort();
}

export async function runTests(
  appRoot: string,
  files: readonly string[],
  opts: RunTestsOptions = {},
): Promise<TestRunResult> {
  const root = path.resolve(appRoot);
  const results: TestFileResult[] = [];
  const parsed: { shown: string; steps: TestStep[]; index: number }[] = [];
  for (const f of files) {
    const abs = path.resolve(root, f);
    const rel = path.relative(root, abs);
    const shown = rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
    const result: TestFileResult = { file: shown, ok: false, steps: [], problems: [] };
    results.push(result);
    try {
      parsed.push({
        shown,
        steps: parseTest(shown, await readFile(abs, 'utf8')).steps,
        index: results.length - 1,
      });
    } catch (err) {
      result.problems =
        err instanceof TestFileError
          ? err.problems.map((p) => formatLocated(p))
          : [`${shown}: ${err instanceof Error ? err.message : String(err)}`];
    }
  }
  if (parsed.length) {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'pse-test-'));
    try {
      const engine = await Engine.open(root, {
        workers: 1,
        watch: false,
        logFiles: false,
        journal: false,
        sessionFile: path.join(tmp, 'sessions.sqlite'),
        ...(opts.python ? { python: opts.python } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
      try {
        for (const p of parsed) {
          const steps = await runSteps(engine, p.steps);
          results[p.index] = { file: p.shown, ok: steps.every((s) => s.ok), steps, problems: [] };
        }
      } finally {
        await engine.close();
      }
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }
  return { ok: results.every((r) => r.ok), files: results };
}

async function runSteps(engine: Engine, steps: readonly TestStep[]): Promise<StepResult[]> {
  const jar = new Map<string, string>();
  const out: StepResult[] = [];
  for (const step of steps) out.push(await runStep(engine, step, jar));
  return out;
}

async function runStep(
  engine: Engine,
  step: TestStep,
  jar: Map<string, string>,
): Promise<StepResult> {
  const headers: Record<string, string> = {};
  for (const [k, v] of step.headers) headers[k.toLowerCase()] = v;
  if (jar.size) headers['cookie'] = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  let body = step.body;
  if (body === undefined && step.form.length) {
    body = new URLSearchParams(step.form).toString();
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  }
  const res = await engine.handle({
    method: step.method,
    url: step.target,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  for (const [k, v] of res.headers) if (k.toLowerCase() === 'set-cookie') storeCookie(jar, v);
  const outcome: JournalOutcome =
    res.session?.outcome ?? (res.error || res.status >= 500 ? 'rolled_back' : 'read_only');
  const differences: string[] = [];
  if (step.status !== undefined && step.status !== res.status)
    differences.push(`status: expected ${step.status}, got ${res.status}`);
  if (step.outcome !== undefined && step.outcome !== outcome)
    differences.push(`outcome: expected ${step.outcome}, got ${outcome}`);
  let session: KeyDifference[] = [];
  if (step.session) {
    const cookieName = engine.config.session.cookieName;
    const id = res.session?.id ?? jar.get(cookieName) ?? null;
    session = compareSession(step, await namespacesOf(engine, id));
    for (const d of session) differences.push(describe(d));
  }
  return {
    line: step.line,
    method: step.method,
    target: step.target,
    ok: differences.length === 0,
    status: res.status,
    outcome,
    differences,
    session,
    ...(res.error ? { error: `${res.error.type}: ${res.error.message}` } : {}),
  };
}

async function namespacesOf(engine: Engine, id: string | null): Promise<NamespaceView[]> {
  const service = engine.sessionService;
  if (!service || !id) return [];
  try {
    return (await service.admin.getSession(id)).namespaceViews;
  } catch {
    return []; // no such session (never stored, or expired)
  }
}

/** Key-level differences between a step's expected session and the stored one. */
export function compareSession(step: TestStep, actual: readonly NamespaceView[]): KeyDifference[] {
  const diffs: KeyDifference[] = [];
  const expected = step.session ?? [];
  const byName = new Map(actual.map((n) => [n.name, n]));
  for (const ns of expected) {
    const got = byName.get(ns.name);
    if (!got) {
      diffs.push({ namespace: ns.name, key: null, expected: 'present', actual: null });
      continue;
    }
    if (ns.keys === null) continue;
    const keys = namespaceKeys(got.preview);
    const want = new Map(ns.keys);
    for (const [k, e] of want) {
      const a = keys.get(k);
      if (a === undefined)
        diffs.push({
          namespace: ns.name,
          key: k,
          expected: 'any' in e ? 'any' : e.text,
          actual: null,
        });
      else if (!('any' in e) && e.text !== a)
        diffs.push({ namespace: ns.name, key: k, expected: e.text, actual: a });
    }
    for (const [k, a] of keys)
      if (!want.has(k)) diffs.push({ namespace: ns.name, key: k, expected: null, actual: a });
  }
  const named = new Set(expected.map((n) => n.name));
  for (const n of actual)
    if (!named.has(n.name))
      diffs.push({ namespace: n.name, key: null, expected: null, actual: 'present' });
  return diffs;
}

function describe(d: KeyDifference): string {
  const where =
    d.key === null
      ? `namespace ${pyString(d.namespace)}`
      : `${pyString(d.namespace)} ${pyString(d.key)}`;
  if (d.actual === null) return `session: ${where} is missing (expected ${d.expected})`;
  if (d.expected === null) return `session: ${where} is unexpected (${d.actual})`;
  return `session: ${where}: expected ${d.expected}, got ${d.actual}`;
}

function storeCookie(jar: Map<string, string>, header: string): void {
  const [pair = '', ...attrs] = header.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return;
  const name = pair.slice(0, eq).trim();
  const value = pair.slice(eq + 1).trim();
  const gone = attrs.some((a) => {
    const [k = '', v = ''] = a.split('=').map((x) => x.trim());
    if (k.toLowerCase() === 'max-age') return Number(v) <= 0;
    if (k.toLowerCase() === 'expires') return Date.parse(v) <= Date.now();
    return false;
  });
  if (gone || value === '') jar.delete(name);
  else jar.set(name, value);
}

/** A run as text, for the terminal: each differing step, then a summary. */
export function formatRun(run: TestRunResult): string {
  const out: string[] = [];
  let steps = 0;
  let failed = 0;
  for (const f of run.files) {
    if (f.problems.length) {
      out.push(`ERROR ${f.file}`, ...f.problems.map((p) => `  ${p}`));
      continue;
    }
    out.push(`${f.ok ? 'PASS' : 'FAIL'} ${f.file} (${f.steps.length} steps)`);
    for (const s of f.steps) {
      steps++;
      if (s.ok) continue;
      failed++;
      out.push(`  ${f.file}:${s.line}: ${s.method} ${s.target}`);
      for (const d of s.differences) out.push(`    ${d}`);
      if (s.error) out.push(`    the page raised ${s.error}`);
    }
  }
  const bad = run.files.filter((f) => !f.ok).length;
  out.push(
    `${run.files.length} file(s), ${steps} step(s): ${failed} step(s) differ, ${bad} file(s) failed`,
  );
  return out.join('\n') + '\n';
}
