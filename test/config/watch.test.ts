import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
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
    // A settle time long enough that a loaded machine still delivers the whole burst within it
    // (the writes below take microseconds; their events can arrive far apart under load).
    const w = new AppWatcher(
      root,
      () => defaultConfig(root),
      (a) => acts.push(a),
      2000,
    );
    try {
      await w.ready();
      await writeFile(path.join(root, '.pse', 'access.log'), 'x');
      await writeFile(path.join(root, 'helper.py'), 'a = 1');
      await writeFile(path.join(root, 'helper.py'), 'a = 2');
      await writeFile(path.join(root, 'pse.conf'), '[Main]\n');
      await expect.poll(() => acts.length, { timeout: 15_000 }).toBe(1);
      await new Promise((r) => setTimeout(r, 2500));
      expect(acts).toEqual([{ kind: 'config' }]);
    } finally {
      await w.close();
    }
  });

  it('does not follow a symlink out of the app, even one to an ancestor folder', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'pse-watch-link-'));
    const app = path.join(base, 'app');
    await mkdir(app);
    await mkdir(path.join(base, 'other'));
    await writeFile(path.join(base, 'other', 'outside.py'), '');
    await writeFile(path.join(app, 'helper.py'), '');
    // a link to the folder that holds the app: followed, the app would contain itself forever
    await symlink(base, path.join(app, 'up'));
    const acts: WatchAction[] = [];
    const w = new AppWatcher(
      app,
      () => defaultConfig(app),
      (a) => acts.push(a),
    );
    try {
      await w.ready();
      await writeFile(path.join(base, 'other', 'outside.py'), 'a = 1');
      await writeFile(path.join(base, 'other', 'new.py'), 'b = 1');
      await new Promise((r) => setTimeout(r, 1000));
      expect(acts).toEqual([]);
      // the app's own files are still watched
      await writeFile(path.join(app, 'helper.py'), 'c = 1');
      await expect.poll(() => acts.length, { timeout: 10_000 }).toBe(1);
      expect(acts).toEqual([{ kind: 'restart', reason: 'helper.py changed' }]);
    } finally {
      await w.close();
      await rm(base, { recursive: true, force: true });
    }
  });
});
