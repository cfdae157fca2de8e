/** The workspace: confinement to the app folder, safe writes, no overwrite on rename. */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInside } from '../../src/main/service/paths.js';
import { Workspace } from '../../src/main/service/workspace.js';

describe('workspace', () => {
  let base: string;
  let root: string;
  let ws: Workspace;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'pse-ws-'));
    root = path.join(base, 'app');
    await mkdir(path.join(root, '.pse'), { recursive: true });
    await writeFile(path.join(root, 'a.pt'), 'A');
    await writeFile(path.join(root, '.pse/sessions.sqlite'), 'db');
    await writeFile(path.join(base, 'secret.txt'), 'secret');
    await symlink(base, path.join(root, 'escape'));
    ws = new Workspace(root);
  });

  afterAll(async () => {
    await ws.close();
    await rm(base, { recursive: true, force: true });
  });

  it('refuses paths that leave the folder or touch engine state', () => {
    for (const bad of [
      '../secret.txt',
      'a/../../x',
      '/etc/passwd',
      'C:/x',
      'a\\b',
      '.pse/sessions.sqlite',
      '.',
      'x\0y',
    ]) {
      expect(() => resolveInside(root, bad), bad).toThrow();
    }
    expect(resolveInside(root, 'dir/./a.pt')).toBe(path.join(root, 'dir/a.pt'));
  });

  it('refuses a symlink that leads outside', async () => {
    await expect(ws.read('escape/secret.txt')).rejects.toThrow(/leads outside/);
    await expect(ws.write('escape/new.txt', 'x')).rejects.toThrow(/leads outside/);
  });

  it('lists the tree without engine state', async () => {
    const list = await ws.list();
    expect(list).toContainEqual({ path: 'a.pt', kind: 'file' });
    expect(list.some((e) => e.path.startsWith('.pse'))).toBe(false);
  });

  it('writes whole files and leaves no temporary behind', async () => {
    await ws.write('dir/b.py', 'x = 1\n');
    expect(await readFile(path.join(root, 'dir/b.py'), 'utf8')).toBe('x = 1\n');
    expect((await readdir(path.join(root, 'dir'))).filter((f) => f.includes('pse-save'))).toEqual(
      [],
    );
  });

  it('never overwrites on rename or create', async () => {
    await ws.write('c.txt', 'C');
    await expect(ws.rename('c.txt', 'a.pt')).rejects.toThrow(/already exists/);
    await expect(ws.create('a.pt', 'file')).rejects.toThrow(/already exists/);
    expect(await readFile(path.join(root, 'a.pt'), 'utf8')).toBe('A');
  });

  it('refuses to open binary files', async () => {
    await writeFile(path.join(root, 'img.bin'), Buffer.from([1, 0, 2]));
    await expect(ws.read('img.bin')).rejects.toThrow(/binary/);
  });
});
