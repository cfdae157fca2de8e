/** The built `pse` command as a user runs it: new, run, serve (and its clean stop), errors. */
import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtPse } from '../helpers/built-pse.js';
import { runPse, type Ran } from './helpers/run-pse.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'pse.js');
const APP_SRC = path.join(ROOT, 'test', 'apps', 'servlets');
/** a private copy: a run writes the app's .pse/ (sessions, journal) */
let APP: string;

function pse(args: string[]): Promise<Ran> {
  return runPse([BIN], args, { cwd: ROOT, timeoutMs: 60_000 });
}

/** The files of PSE's build that `pse ARGS` loads (it must succeed), named by a loader hook. */
async function pseFilesLoaded(args: string[]): Promise<string[]> {
  const hooks =
    'data:text/javascript,export async function load(u, c, next) {' +
    ' process.stderr.write(`loaded ${u}\\n`); return next(u, c); }';
  const register = `data:text/javascript,import { register } from 'node:module'; register(${JSON.stringify(hooks)});`;
  const ran = await runPse(['--import', register, BIN], args, { cwd: ROOT, timeoutMs: 60_000 });
  expect(ran.code).toBe(0);
  return ran.stderr
    .split('\n')
    .filter((l) => l.startsWith('loaded file:'))
    .map((l) => fileURLToPath(l.slice('loaded '.length)))
    .filter((f) => f.startsWith(path.join(ROOT, 'dist') + path.sep));
}

let tmp: string;
beforeAll(async () => {
  builtPse();
  tmp = await mkdtemp(path.join(os.tmpdir(), 'pse-cli-'));
  APP = path.join(tmp, 'servlets');
  await cp(APP_SRC, APP, { recursive: true });
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('pse', () => {
  it('prints its version and help', async () => {
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect((await pse(['--version'])).stdout.trim()).toBe(pkg.version);
    const help = (await pse(['--help'])).stdout;
    for (const cmd of ['serve', 'run', 'new', 'compile', 'studio']) expect(help).toContain(cmd);
  });

  it('loads the engine only when a command runs: `pse --version` loads none of it', async () => {
    const own = await pseFilesLoaded(['--version']);
    // the bundled CLI, and of PSE's own code nothing that holds the engine
    expect(own).toContain(path.join(ROOT, 'dist', 'pse', 'main.js'));
    const withEngine: string[] = [];
    for (const f of own) if (/\bclass Engine\b/.test(await readFile(f, 'utf8'))) withEngine.push(f);
    expect(withEngine).toEqual([]);
  });

  it('runs from its bundle: the engine as one chunk, not the modules tsc wrote', async () => {
    const own = await pseFilesLoaded(['run', path.join(APP, 'counter.pt')]);
    expect(own.every((f) => path.dirname(f) === path.join(ROOT, 'dist', 'pse'))).toBe(true);
    // a handful of chunks where tsc's output is ~130 modules
    expect(own.length).toBeGreaterThan(1);
    expect(own.length).toBeLessThan(20);
  });

  it('pse serve refuses an instance count below one, and a broken [Main] Instances, before starting', async () => {
    const bad = await pse(['serve', APP, '--instances', '0']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--instances must be a whole number of at least 1');
    const app = path.join(tmp, 'instances-app');
    await cp(APP, app, { recursive: true });
    await writeFile(path.join(app, 'pse.conf'), '[Main]\nInstances = none\n');
    const conf = await pse(['serve', app, '--port', '0']);
    expect(conf.code).toBe(2);
    expect(conf.stderr).toMatch(/pse\.conf:2:\d+: Instances/);
  });

  it('pse new creates a working app and refuses a non-empty folder', async () => {
    const app = path.join(tmp, 'myapp');
    const made = await pse(['new', app]);
    expect(made.code).toBe(0);
    expect(await readFile(path.join(app, 'pse.conf'), 'utf8')).toContain('[Main]');
    const again = await pse(['new', app]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('not empty');
    const page = await pse(['run', path.join(app, 'index.pt'), '--query', 'name=Ada']);
    expect(page.code).toBe(0);
    expect(page.stdout).toContain('Hello, Ada!');
  });

  it('pse run passes query, method, data, cookies and prints headers', async () => {
    const res = await pse([
      'run',
      path.join(APP, 'api.pt'),
      '--query',
      'a=1',
      '--data',
      'b=2',
      '--cookie',
      'k=v',
      '--headers',
    ]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^HTTP 200\n/);
    expect(res.stdout).toContain('Content-Type: application/json');
    const json = JSON.parse(res.stdout.slice(res.stdout.indexOf('\n\n') + 2)) as {
      method: string;
      form: object;
      cookies: object;
    };
    expect(json.method).toBe('POST');
    expect(json.form).toEqual({ a: ['1'], b: ['2'] });
    expect(json.cookies).toEqual({ k: 'v' });
  });

  it('pse run exits non-zero with the traceback when the servlet fails', async () => {
    const res = await pse(['run', path.join(APP, 'boom.pt')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('IndexError');
    expect(res.stderr).toMatch(/boom\.pt.*3/);
  });

  it('says what is wrong with a missing app or servlet', async () => {
    const noApp = await pse(['serve', path.join(tmp, 'nowhere'), '--port', '0']);
    expect(noApp.code).toBe(1);
    expect(noApp.stderr).toContain(`${path.join(tmp, 'nowhere')} is not a folder`);
    const noFile = await pse(['run', path.join(tmp, 'missing.pt')]);
    expect(noFile.code).toBe(2);
    expect(noFile.stderr).toContain('no such file');
    expect((await pse(['serve', '--port', 'http'])).stderr).toContain(
      '--port must be a whole number',
    );
  });

  it('pse serve refuses a broken pse.conf with the located error', async () => {
    const app = path.join(tmp, 'broken');
    await mkdir(app);
    await writeFile(path.join(app, 'pse.conf'), '[Main]\nAutoEscape = sometimes\n');
    const res = await pse(['serve', app, '--port', '0']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(
      `${path.join(app, 'pse.conf')}:2:14: AutoEscape: expected yes or no`,
    );
  });

  it('pse serve prints the URL, serves, and stops cleanly on SIGTERM', async () => {
    const app = path.join(tmp, 'served');
    await mkdir(app);
    await writeFile(path.join(app, 'hello.pt'), 'hello <?= 6 * 7 ?>');
    const child = spawn(process.execPath, [BIN, 'serve', app, '--port', '0', '--workers', '1'], {
      cwd: ROOT,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      await expect
        .poll(() => out, { timeout: 30_000, interval: 50 })
        .toMatch(/PSE serving .* at http:\/\/127\.0\.0\.1:\d+\//);
      const url = /at (http:\S+)/.exec(out)![1]!;
      expect(out).toContain(`PSE serving ${app} at `);
      const res = await fetch(new URL('hello', url));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('hello 42');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('PSE stopping (SIGTERM)');
  });
});
