import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/engine/config/index.js';
import { AppWatcher, classifyChange, type WatchAction } from '../../src/engine/config/watch.js';

describe('what a changed file means to a running engine', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'pse-watch-'));
    await mkdir(path.join(root, 'plugins'));
    await mkdir(path.join(root, '.pse'));
    for (const f of ['page.pt', 'page.py', 'helper.py', 'plugins/p.py', 'style.css'])
      await writeFile(path.join(root, f), '');
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('classifies changes', () => {
    const c = defaultConfig(root);
    const at = (f: string): WatchAction | null => classifyChange(path.join(root, f), c);
    expect(at('pse.conf')).toEqual({ kind: 'config' });
    expect(at('page.pt')).toBeNull();
    expect(at('page.py')).toBeNull();
    expect(at('style.css')).toBeNull();
    expect(at('helper.py')).toEqual({ kind: 'restart', reason: 'helper.py changed' });
    expect(at('plugins/p.py')).toMatchObject({ kind: 'restart' });
  });

  it('merges a burst of changes into one action and ignores .pse/', async () => {
    const acts: WatchAction[] = [];
    const w = new AppWatcher(
      root,
      () => defaultConfig(root),
      (a) => acts.push(a),
    );
    try {
      await w.ready();
      await writeFile(path.join(root, '.pse', 'access.log'), 'x');
      await writeFile(path.join(root, 'helper.py'), 'a = 1');
      await writeFile(path.join(root, 'helper.py'), 'a = 2');
      await writeFile(path.join(root, 'pse.conf'), '[Main]\n');
      await expect.poll(() => acts.length, { timeout: 10_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 400));
      expect(acts).toEqual([{ kind: 'config' }]);
    } finally {
      await w.close();
    }
  });
});
