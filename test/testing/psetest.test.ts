/**
 * Recorded visits as tests: the .psetest format (located errors, round trip), a visit exported
 * from a real journal, and `pse test` replaying it — passing as recorded, failing with a
 * key-level session diff once the code changes, and exiting non-zero on the command line.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { testFromJournal } from '../../src/engine/testing/export.js';
import { parseTest, printTest, TestFileError } from '../../src/engine/testing/psetest.js';
import { findTests, runTests } from '../../src/engine/testing/runner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const APP_SRC = path.join(ROOT, 'test', 'apps', 'servlets');

let tmp: string;
let app: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pse-psetest-'));
  app = path.join(tmp, 'servlets');
  await cp(APP_SRC, app, { recursive: true });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function problemsOf(text: string): string[] {
  try {
    parseTest('t.psetest', text);
  } catch (err) {
    if (err instanceof TestFileError) return err.message.split('\n');
    throw err;
  }
  return [];
}

describe('the .psetest format', () => {
  it('reads steps with headers, form fields, expectations and any-values', () => {
    const t = parseTest(
      't.psetest',
      [
        '# a visit',
        'request POST /cart.pt?item=3',
        "  header 'Accept' = 'text/html'",
        "  form 'qty' = 'two \\'2\\''",
        '  status 200',
        '  outcome committed',
        "  key '' 'n' = 2",
        "  key 'cart' 'when' = any",
        "  namespace 'log' any",
        '',
        'request GET /',
        '  session none',
      ].join('\n'),
    );
    expect(t.steps).toHaveLength(2);
    const [a, b] = t.steps;
    expect(a).toMatchObject({
      line: 2,
      method: 'POST',
      target: '/cart.pt?item=3',
      headers: [['Accept', 'text/html']],
      form: [['qty', "two '2'"]],
      status: 200,
      outcome: 'committed',
    });
    expect(a!.session).toEqual([
      { name: '', line: 7, keys: [['n', { text: '2' }]] },
      { name: 'cart', line: 8, keys: [['when', { any: true }]] },
      { name: 'log', line: 9, keys: null },
    ]);
    expect(b!.session).toEqual([]);
    expect(parseTest('t.psetest', printTest(t.steps)).steps).toEqual(
      t.steps.map((s) => ({
        ...s,
        line: expect.any(Number) as number,
        session: s.session?.map((n) => ({ ...n, line: expect.any(Number) as number })),
      })),
    );
  });

  it('names the file, line and column of every bad line', () => {
    expect(
      problemsOf(
        [
          '  status 200',
          'request get /x.pt',
          'request GET x.pt',
          'request GET /a.pt',
          '  status 2000',
          '  outcome fine',
          "  form 'a' = 'unclosed",
          '  frob 1',
          "  key '' 'k' =",
          'status 200',
        ].join('\n'),
      ),
    ).toEqual([
      "t.psetest:1:3: 'status' must follow a 'request' line",
      "t.psetest:2:9: 'get' is not a method: expected GET, POST, …",
      "t.psetest:3:13: the path 'x.pt' must start with '/'",
      "t.psetest:5:10: '2000' is not an HTTP status (100–599)",
      "t.psetest:6:11: 'fine' is not an outcome: expected one of committed, rolled_back, partially_committed, read_only",
      't.psetest:7:14: the form value: this string has no closing quote',
      "t.psetest:8:3: unknown statement 'frob': expected request, header, form, body, status, outcome, key, namespace or session",
      "t.psetest:9:15: expected a value (or 'any') after '='",
      "t.psetest:10:1: 'status' belongs to the request above: indent it",
    ]);
    expect(problemsOf('# nothing\n')).toEqual([
      't.psetest:1:1: no steps: a test needs a request line',
    ]);
  });
});

/** A visit in a real engine with its journal on: the cookie travels like a browser's. */
async function recordVisit(): Promise<string> {
  const engine = await Engine.open(app, { workers: 1, watch: false, logFiles: false });
  try {
    let cookie = '';
    const visit = async (url: string, body?: string): Promise<void> => {
      const res = await engine.handle({
        method: body === undefined ? 'GET' : 'POST',
        url,
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
      });
      const set = res.headers.find(([k]) => k.toLowerCase() === 'set-cookie');
      if (set) cookie = set[1].split(';')[0]!;
    };
    await visit('/counter.pt');
    await visit('/counter.pt?x=1');
    await visit('/counter.pt', 'fail=1');
    await visit('/counter.pt');
    const entries = await engine.sessionService!.journal.list({ limit: 10 });
    expect(entries).toHaveLength(4);
    return testFromJournal(entries, 'a visit to the counter');
  } finally {
    await engine.close();
  }
}

describe('a recorded visit as a test', () => {
  let text: string;
  let file: string;

  it('exports the requests, their status, outcome and session state', async () => {
    text = await recordVisit();
    expect(text).toContain('# a visit to the counter');
    const steps = parseTest('visit', text).steps;
    expect(steps.map((s) => `${s.method} ${s.target} ${s.status} ${s.outcome}`)).toEqual([
      'GET /counter.pt 200 committed',
      'GET /counter.pt?x=1 200 committed',
      'POST /counter.pt 500 rolled_back',
      'GET /counter.pt 200 committed',
    ]);
    expect(steps[2]!.form).toEqual([['fail', '1']]);
    expect(steps.map((s) => s.session)).toEqual(
      [1, 2, 2, 3].map((n) => [
        { name: '', line: expect.any(Number), keys: [['n', { text: String(n) }]] },
      ]),
    );
    file = path.join(app, 'tests', 'visit.psetest');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
    expect(await findTests(app)).toEqual([file]);
  });

  it('passes against the same code, in a fresh store', async () => {
    const run = await runTests(app, [file]);
    expect(run.files[0]!.problems).toEqual([]);
    expect(run.files[0]!.steps.map((s) => s.differences)).toEqual([[], [], [], []]);
    expect(run.ok).toBe(true);
    // again: a fresh store each run, so the counter starts over
    expect((await runTests(app, [file])).ok).toBe(true);
  });

  it('reports each differing step with a key-level session diff when the code changed', async () => {
    const code = path.join(app, 'counter.py');
    const before = await readFile(code, 'utf8');
    await writeFile(
      code,
      before.replace(
        "data['n'] = data.get('n', 0) + 1",
        "data['n'] = data.get('n', 0) + 1\ndata['extra'] = True",
      ),
    );
    try {
      const run = await runTests(app, [file]);
      expect(run.ok).toBe(false);
      const steps = run.files[0]!.steps;
      expect(steps.every((s) => !s.ok)).toBe(true);
      expect(steps[0]!.session).toEqual([
        { namespace: '', key: 'extra', expected: null, actual: 'True' },
      ]);
      expect(steps[0]!.differences).toEqual(["session: '' 'extra' is unexpected (True)"]);
      // marking the key as "any" accepts it
      await writeFile(file, text.replace(/( {2}key '' 'n' = \d+)/g, "$1\n  key '' 'extra' = any"));
      expect((await runTests(app, [file])).ok).toBe(true);
    } finally {
      await writeFile(code, before);
      await writeFile(file, text);
    }
  });

  it('reports a changed status and outcome', async () => {
    const changed = text
      .replace('status 500', 'status 200')
      .replace('outcome rolled_back', 'outcome committed');
    const bad = path.join(app, 'tests', 'changed.psetest');
    await writeFile(bad, changed);
    try {
      const run = await runTests(app, [bad]);
      const third = run.files[0]!.steps[2]!;
      expect(third.differences).toEqual([
        'status: expected 200, got 500',
        'outcome: expected committed, got rolled_back',
      ]);
      expect(third.error).toContain('RuntimeError: after the change');
      expect(run.files[0]!.steps.filter((s) => !s.ok)).toHaveLength(1);
    } finally {
      await rm(bad);
    }
  });

  it('pse test exits 0 on a pass, 1 on a difference, 2 without tests, and locates bad files', async () => {
    const pse = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          ['--import', 'tsx', path.join(ROOT, 'src', 'cli', 'main.ts'), ...args],
          { cwd: ROOT, timeout: 90_000 },
          (err, stdout, stderr) =>
            resolve({
              code: err ? Number((err as { code?: number }).code ?? 1) : 0,
              stdout,
              stderr,
            }),
        );
      });
    const ok = await pse(['test', app]);
    expect(ok.stdout).toContain('PASS tests/visit.psetest (4 steps)');
    expect(ok.code).toBe(0);

    const broken = path.join(app, 'tests', 'broken.psetest');
    await writeFile(broken, text.replace('status 200', 'status 201'));
    await writeFile(path.join(app, 'tests', 'bad.psetest'), 'request GET /x.pt\n  staus 200\n');
    const failed = await pse(['test', app]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain('FAIL tests/broken.psetest');
    expect(failed.stdout).toMatch(
      /tests\/broken\.psetest:\d+: GET \/counter\.pt\n {4}status: expected 201, got 200/,
    );
    expect(failed.stdout).toContain(
      "ERROR tests/bad.psetest\n  tests/bad.psetest:2:3: unknown statement 'staus'",
    );
    expect(failed.stdout).toContain('PASS tests/visit.psetest');

    const only = await pse(['test', app, path.join(app, 'tests', 'visit.psetest')]);
    expect(only.code).toBe(0);
    expect(only.stdout).not.toContain('broken');

    const empty = path.join(tmp, 'empty');
    await mkdir(empty);
    const none = await pse(['test', empty]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('holds no .psetest files');
  });
});
