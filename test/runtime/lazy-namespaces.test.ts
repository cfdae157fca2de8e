/**
 * A big session namespace travels to the worker only when a page uses it (`session.new(name)`),
 * with every session semantic kept: changes, deletions, invalidation, save() then a late read,
 * and the previews of a failed request. Real CPython workers; bytes counted at the pipe.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { defaultConfig, toWorkerConfig } from '../../src/engine/config/index.js';
import { spawnChild, type Spawner } from '../../src/engine/runtime/child.js';
import { WorkerPool } from '../../src/engine/runtime/pool.js';
import type { RunResult } from '../../src/engine/runtime/run.js';
import { resolvePython } from '../../src/engine/runtime/python.js';
import { TemplateSources } from '../../src/engine/runtime/sources.js';
import { compileTemplate } from '../../src/engine/template/index.js';
import { runInput } from './inputs.js';

const BIG = 1 << 20;
const PAGES: Record<string, string> = {
  'fill.pt': `<? from pse.plugins import session
session.new('big')['blob'] = 'x' * ${BIG}
session.new('small')['n'] = 1 ?>filled`,
  'small.pt': `<? from pse.plugins import session ?>n=<?= session.new('small')['n'] ?>`,
  'big.pt': `<? from pse.plugins import session ?>len=<?= len(session.new('big')['blob']) ?>`,
  'grow.pt': `<? from pse.plugins import session
session.new('big')['blob'] += 'y' ?>grown`,
  'drop.pt': `<? from pse.plugins import session
session.delete('big') ?>dropped`,
  'end.pt': `<? from pse.plugins import session
session.invalidate() ?>ended`,
  'late.pt': `<? from pse.plugins import session
session.new('small')['n'] = 5
session.save() ?>len=<?= len(session.new('big')['blob']) ?>`,
  'fail.pt': `<? from pse.plugins import session
session.new('big')['blob'] = 'changed'
raise ValueError('rolled back') ?>`,
};

let root = '';
let pool: WorkerPool;
let sent = 0;
let ns: Map<string, Buffer>;
const SID = 'lazy-session-id';

/** the real spawner, counting the bytes Node writes to the workers */
const counting: Spawner = (spec) => {
  const child = spawnChild(spec);
  return {
    pid: child.pid,
    write(frame) {
      sent += frame.length;
      child.write(frame);
    },
    end: () => child.end(),
    kill: (signal) => child.kill(signal),
    onData: (l) => child.onData(l),
    onOutput: (l) => child.onOutput(l),
    onExit: (l) => child.onExit(l),
  };
};

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'pse-lazy-'));
  for (const [name, text] of Object.entries(PAGES)) writeFileSync(path.join(root, name), text);
  const sources = new TemplateSources(compileTemplate);
  pool = new WorkerPool({
    python: (await resolvePython('python3')).executable,
    workers: 1,
    appRoot: root,
    config: toWorkerConfig(defaultConfig(root)),
    requestTimeoutMs: 20_000,
    sources: sources.provide,
    spawn: counting,
  });
  await pool.start();
  const r = await run('fill.pt', new Map());
  ns = r.session!.changed;
  expect(ns.get('big')!.length).toBeGreaterThan(BIG);
});
afterAll(async () => {
  await pool?.stop();
  rmSync(root, { recursive: true, force: true });
});

async function run(page: string, namespaces = ns): Promise<RunResult & { sent: number }> {
  const before = sent;
  const r = await pool.run(runInput(root, page, { session: { id: SID, ns: namespaces } }), {
    onSave: async () => {},
  });
  return { ...r, sent: sent - before };
}

it('does not send a big namespace to a page that reads another one', async () => {
  await run('small.pt'); // the first run of a page also sends its compiled source
  const r = await run('small.pt');
  expect(r.body.toString()).toBe('n=1');
  expect(r.sent).toBeLessThan(64 * 1024);
  expect(r.session?.changed.size ?? 0).toBe(0);
});

it('fetches it when a page uses it', async () => {
  const r = await run('big.pt');
  expect(r.body.toString()).toBe(`len=${BIG}`);
  expect(r.sent).toBeGreaterThan(BIG);
});

it('returns a fetched namespace that changed, and only that one', async () => {
  const r = await run('grow.pt');
  expect([...r.session!.changed.keys()]).toEqual(['big']);
  expect(r.session!.changed.get('big')!.length).toBe(ns.get('big')!.length + 1);
});

it('deletes and invalidates namespaces it never fetched', async () => {
  const dropped = await run('drop.pt');
  expect(dropped.session!.deleted).toEqual(['big']);
  expect(dropped.sent).toBeLessThan(64 * 1024);
  const ended = await run('end.pt');
  expect(ended.session!.invalidated).toBe(true);
  expect(ended.session!.deleted).toEqual(['big', 'small']);
});

it('reads a big namespace after save()', async () => {
  const r = await run('late.pt');
  expect(r.body.toString()).toBe(`len=${BIG}`);
  expect(r.saves).toBe(1);
});

it('previews what a failed request discarded', async () => {
  const r = await run('fail.pt');
  expect(r.status).toBe(500);
  expect(r.session?.changed.size ?? 0).toBe(0);
  expect(r.session?.previews['big']).toMatchObject({ t: 'dict' });
});
