/**
 * The pool against real CPython workers (src/engine/python/pse_boot.py) and the real template
 * compiler. Small loads only; no timing assertions.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WorkerFailure,
  WorkerPool,
  type ExitInfo,
  type PoolOptions,
} from '../../src/engine/runtime/pool.js';
import type { RunResult } from '../../src/engine/runtime/run.js';
import type { SessionResult } from '../../src/engine/session/result.js';
import type { WorkerConfig } from '../../src/engine/runtime/protocol.js';
import { resolvePython } from '../../src/engine/runtime/python.js';
import { runInput as req } from './inputs.js';
import { defaultConfig, toWorkerConfig } from '../../src/engine/config/index.js';
import { TemplateSources } from '../../src/engine/runtime/sources.js';
import { compileTemplate } from '../../src/engine/template/index.js';

const tmpDirs: string[] = [];
function made(dir: string): string {
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function makeApp(files: Record<string, string>): string {
  const root = made(mkdtempSync(path.join(tmpdir(), 'pse-rt-')));
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(root, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return root;
}

function config(root: string): WorkerConfig {
  return toWorkerConfig(defaultConfig(root));
}

const APP = {
  'hello.py': "name = 'world'\n",
  'hello.pt': 'Hello <?= name ?>!',
  'slow.py': 'import time\ntime.sleep(30)\n',
  'slow.pt': 'never',
  'die.py': 'import os\nos._exit(1)\n',
  'die.pt': 'never',
  'segv.py': 'import ctypes\nctypes.string_at(0)\n',
  'segv.pt': 'never',
  'oom.py': 'import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n',
  'oom.pt': 'never',
  'nap.py': 'import time\ntime.sleep(0.2)\n',
  'nap.pt': 'rested',
  'stream.pt': 'first<? pse.flush() ?> second',
  'count.py': [
    'from pse.plugins import session',
    'd = session.new()',
    "d['n'] = d.get('n', 0) + 1",
    'session.save()',
    "d['after'] = True",
  ].join('\n'),
  'count.pt': 'n=<?= d["n"] ?>',
  'echo.py': 'from pse.plugins import request\nbody = request.content.read().decode()\n',
  'echo.pt': '<?= body ?>',
  'broken.pt': '<? if True: ?>\nnever closed\n',
};

let python = '';
beforeAll(async () => {
  python = (await resolvePython('python3')).executable;
});

async function newPool(root: string, over: Partial<PoolOptions> = {}): Promise<WorkerPool> {
  const sources = new TemplateSources(compileTemplate);
  const pool = new WorkerPool({
    python,
    workers: 2,
    appRoot: root,
    config: config(root),
    requestTimeoutMs: 2500,
    sources: sources.provide,
    ...over,
  });
  pool.on('tags', (t) => sources.setTags(t));
  await pool.start();
  return pool;
}

const failure = (p: Promise<unknown>): Promise<WorkerFailure> =>
  p.then(
    () => {
      throw new Error('expected a WorkerFailure');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(WorkerFailure);
      return e as WorkerFailure;
    },
  );

describe('WorkerPool with real workers', () => {
  let root = '';
  let pool: WorkerPool;
  beforeAll(async () => {
    root = makeApp(APP);
    pool = await newPool(root);
  });
  afterAll(async () => {
    await pool?.stop();
  });

  it('runs a servlet: code module, then template', async () => {
    const r = await pool.run(req(root, 'hello.pt'));
    expect(r.status).toBe(200);
    expect(r.body.toString()).toBe('Hello world!');
    expect(r.error).toBeUndefined();
    expect(r.streamed).toBe(false);
  });

  it('passes the raw body as a blob', async () => {
    const body = Buffer.from('päyload ' + 'x'.repeat(100_000));
    const r = await pool.run(req(root, 'echo.pt', { method: 'POST', body }));
    expect(r.body.toString()).toBe(body.toString());
  });

  it('streams after flush(): the first chunk carries status and headers', async () => {
    const chunks: { head?: { status: number }; data: string }[] = [];
    const r = await pool.run(req(root, 'stream.pt'), {
      onChunk: (head, data) => chunks.push({ head, data: data.toString() }),
    });
    expect(chunks[0]!.head?.status).toBe(200);
    expect(chunks.map((c) => c.data).join('') + r.body.toString()).toBe('first second');
    expect(r.streamed).toBe(true);
    // without a hook, chunks are merged into the body
    const merged = await pool.run(req(root, 'stream.pt'));
    expect(merged.body.toString()).toBe('first second');
  });

  it('session.save() commits through onSave before the servlet goes on, and the end returns the rest', async () => {
    const saved: SessionResult[] = [];
    const r = await pool.run(req(root, 'count.pt'), {
      onSave: async (s) => {
        saved.push(s);
      },
    });
    expect(r.body.toString()).toBe('n=1');
    expect(saved).toHaveLength(1);
    expect(saved[0]!.created).toBe(true);
    expect(saved[0]!.changed.get('')).toBeInstanceOf(Buffer);
    expect(r.saves).toBe(1);
    expect(r.session?.id).toBe(saved[0]!.id);
    // the change after save() comes back with the result, bytes ready for the store
    expect(r.session?.changed.get('')!.length).toBeGreaterThan(0);
    expect(r.session?.previews['']).toMatchObject({ t: 'dict' });

    const again = await pool.run(
      req(root, 'count.pt', { session: { id: r.session!.id, ns: r.session!.changed } }),
      {
        onSave: async () => {},
      },
    );
    expect(again.body.toString()).toBe('n=2');
  });

  it('a failing onSave is reported to the servlet as an error', async () => {
    const r = await pool.run(req(root, 'count.pt'), {
      onSave: () => Promise.reject(new Error('database is locked')),
    });
    expect(r.status).toBe(500);
    expect(r.error?.text ?? r.error?.message).toMatch(/database is locked/);
  });

  it('a template that does not compile fails the request with its file, line and column', async () => {
    const r = await pool.run(req(root, 'broken.pt'));
    expect(r.status).toBe(500);
    expect(JSON.stringify(r.error)).toMatch(/broken\.pt/);
  });

  it('check() returns Python syntax errors with their position', async () => {
    const errors = await pool.check([
      { name: 'good', code: 'x = 1\n' },
      { name: 'bad', code: 'x = 1\ndef f(:\n    pass\n' },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ name: 'bad', line: 2 });
  });

  it('admin() edits a pickled namespace with literals and returns the new pickle and preview', async () => {
    const set = await pool.admin({ op: 'set', key: "'colour'", literal: "'blue'" });
    expect(set.ok).toBe(true);
    expect(set.pickle).toBeInstanceOf(Buffer);
    expect(JSON.stringify(set.preview)).toMatch(/colour/);
    const bad = await pool.admin({
      op: 'set',
      key: "'x'",
      literal: '__import__("os")',
      pickle: set.pickle!,
    });
    expect(bad.ok).toBe(false);
    expect(bad.error?.message).toBeTruthy();
  });

  it('a servlet over RequestTimeout fails as timeout, and the next request succeeds', async () => {
    const f = await failure(pool.run(req(root, 'slow.pt')));
    expect(f.kind).toBe('timeout');
    expect(f.message).toMatch(/GET \/slow\.pt ran longer than RequestTimeout \(2\.5 s\)/);
    const r = await pool.run(req(root, 'hello.pt'));
    expect(r.body.toString()).toBe('Hello world!');
  });

  it('os._exit(1) fails as a crash, and the next request succeeds', async () => {
    const f = await failure(pool.run(req(root, 'die.pt')));
    expect(f.kind).toBe('crash');
    expect(f.message).toMatch(/GET \/die\.pt failed: worker \d+ exited with code 1/);
    const r = await pool.run(req(root, 'hello.pt'));
    expect(r.status).toBe(200);
  });

  it('a segfault and an outside SIGKILL fail as crashes that say so', async () => {
    const segv = await failure(pool.run(req(root, 'segv.pt')));
    expect(segv.kind).toBe('crash');
    expect(segv.message).toMatch(/died of SIGSEGV/);
    const oom = await failure(pool.run(req(root, 'oom.pt')));
    expect(oom.kind).toBe('crash');
    expect(oom.message).toMatch(/killed by SIGKILL \(out of memory\?\)/);
    expect((await pool.run(req(root, 'hello.pt'))).status).toBe(200);
  });

  it('stats() lists live workers', async () => {
    // the worker aborted by the timeout above ignores SIGTERM: it goes at the SIGKILL of the
    // supervisor's next pass, its replacement already serving
    await expect.poll(() => pool.stats().workers.length, { timeout: 5000 }).toBe(2);
    expect(pool.stats().workers.every((w) => w.pid > 0)).toBe(true);
  });
});

describe('WorkerPool with one real worker', () => {
  it('jobs queued behind a crashed one never started: they run on the replacement', async () => {
    const root = makeApp(APP);
    const pool = await newPool(root, { workers: 1 });
    try {
      const first = pool.stats().workers[0]!.id;
      const die = failure(pool.run(req(root, 'die.pt')));
      const behind = [0, 1, 2].map(() => pool.run(req(root, 'nap.pt')));
      expect((await die).kind).toBe('crash');
      const results = await Promise.all(behind);
      for (const r of results) {
        expect(r.body.toString()).toBe('rested');
        expect(r.worker).not.toBe(first);
      }
    } finally {
      await pool.stop();
    }
  });

  it('restart() under load drops no request, and new workers serve afterwards', async () => {
    const root = makeApp(APP);
    const pool = await newPool(root, { workers: 2 });
    try {
      const before = new Set(pool.stats().workers.map((w) => w.id));
      const results: Promise<RunResult>[] = [];
      let go = true;
      const load = (async () => {
        while (go) {
          const batch = Array.from({ length: 8 }, () => pool.run(req(root, 'hello.pt')));
          results.push(...batch);
          await Promise.all(batch);
        }
      })();
      await new Promise((r) => setTimeout(r, 100));
      await pool.restart('test');
      go = false;
      await load;
      const all = await Promise.all(results);
      expect(all.length).toBeGreaterThan(16);
      expect(all.every((r) => r.status === 200 && r.body.toString() === 'Hello world!')).toBe(true);
      const after = pool.stats().workers.map((w) => w.id);
      expect(after.some((id) => before.has(id))).toBe(false);
      const r = await pool.run(req(root, 'hello.pt'));
      expect(before.has(r.worker)).toBe(false);
    } finally {
      await pool.stop();
    }
  });

  it('recycles after maxRequests: the worker serves until its replacement is ready, then exits cleanly', async () => {
    const root = makeApp(APP);
    const pool = await newPool(root, { workers: 1, maxRequests: 5 });
    try {
      const exited = new Promise<ExitInfo>((resolve) => pool.on('worker-exit', resolve));
      let gone = false;
      void exited.then(() => (gone = true));
      const results: RunResult[] = [];
      while (!gone) results.push(await pool.run(req(root, 'hello.pt')));
      const info = await exited;
      expect(info.expected).toBe(true);
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(results.filter((r) => r.worker === info.id).length).toBeGreaterThanOrEqual(5);
      expect((await pool.run(req(root, 'hello.pt'))).worker).not.toBe(info.id);
    } finally {
      await pool.stop();
    }
  });

  it("custom tags: the workers' tag names reach the template cache, which compiles <Box> as a tag", async () => {
    const root = makeApp({
      ...APP,
      'mytags.py': [
        'from pse.tags import CustomTag',
        'class Box(CustomTag):',
        '    def __str__(self):',
        "        return '[' + ''.join(str(p) for p in self.content) + ']'",
      ].join('\n'),
      'boxed.pt': '<Box>inside</Box>',
    });
    const seen: string[][] = [];
    const sources = new TemplateSources();
    const pool = new WorkerPool({
      python,
      workers: 1,
      appRoot: root,
      config: { ...config(root), tagModules: ['mytags.py'] },
      requestTimeoutMs: 2500,
      sources: sources.provide,
    });
    pool.on('tags', (t) => {
      seen.push(t);
      sources.setTags(t);
    });
    try {
      const info = await pool.start();
      expect(info.tags).toEqual(['Box']);
      expect(seen).toEqual([['Box']]);
      const r = await pool.run(req(root, 'boxed.pt'));
      expect(r.body.toString()).toBe('[inside]');
    } finally {
      await pool.stop();
    }
  });

  it('start() rejects with the located reason when a plugin is broken, and leaves no process behind', async () => {
    const root = makeApp({
      ...APP,
      'plugins/broken.py': "plugin_name = 'broken'\n\ndef plugin_init(:\n    pass\n",
    });
    const pool = new WorkerPool({
      python,
      workers: 2,
      appRoot: root,
      config: config(root),
      requestTimeoutMs: 2500,
      sources: new TemplateSources(compileTemplate).provide,
    });
    const exits: number[] = [];
    pool.on('worker-exit', (i) => exits.push(i.pid));
    const err = (await pool.start().catch((e: unknown) => e)) as Error & {
      issues?: { file: string; line: number }[];
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`${path.join(root, 'plugins', 'broken.py')}:3:`);
    expect(err.issues?.[0]).toMatchObject({
      file: path.join(root, 'plugins', 'broken.py'),
      line: 3,
    });
    await pool.stop();
    expect(pool.stats().workers).toHaveLength(0);
    expect(exits).toHaveLength(2);
  });

  it('an interpreter that vanished after it was resolved: start() says it cannot start it', async () => {
    const root = makeApp(APP);
    const pool = new WorkerPool({
      python: path.join(root, 'no-python-here'),
      workers: 1,
      appRoot: root,
      config: config(root),
      requestTimeoutMs: 2500,
      sources: new TemplateSources().provide,
    });
    await expect(pool.start()).rejects.toThrow(/cannot start .*no-python-here: spawn .* ENOENT/);
    await pool.stop();
  });
});
