/** The workspace: confinement to the app folder, safe writes, no overwrite on rename. */
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInside } from '../../src/main/service/paths.js';
import { Workspace } from '../../src/main/service/workspace.js';

const run = promisify(execFile);

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

  it('removes its temporary file when a save fails, and keeps the old text', async () => {
    // A real failure: a child process whose file-size limit (RLIMIT_FSIZE) is below the text's size
    // saves through the Workspace, and its write fails with EFBIG.
    await writeFile(path.join(root, 'big.txt'), 'old text');
    const module = pathToFileURL(path.resolve('src/main/service/workspace.ts')).href;
    const script = [
      `const { Workspace } = await import(${JSON.stringify(module)});`,
      `const ws = new Workspace(${JSON.stringify(root)});`,
      `try { await ws.write('big.txt', 'x'.repeat(64 * 1024)); console.log('saved'); }`,
      `catch (e) { console.log('failed', e.code); }`,
    ].join('\n');
    const limited = [
      'import resource, os, sys',
      'resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))',
      'os.execvp(sys.argv[1], sys.argv[1:])',
    ].join('\n');
    const { stdout } = await run('python3', [
      '-c',
      limited,
      process.execPath,
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
    ]);
    expect(stdout.trim()).toBe('failed EFBIG');
    expect(await readFile(path.join(root, 'big.txt'), 'utf8')).toBe('old text');
    expect((await readdir(root)).filter((f) => f.includes('pse-save'))).toEqual([]);
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

  it('does not follow a symlink out of the folder when watching (one to an ancestor)', async () => {
    const seen: string[] = [];
    const watching = ws.onChange((e) => seen.push(e.path));
    try {
      // the watcher is ready once it reports a change of its own folder
      await expect
        .poll(
          async () => {
            await writeFile(path.join(root, 'ready.txt'), String(Date.now()));
            return seen.includes('ready.txt');
          },
          { timeout: 10_000, interval: 200 },
        )
        .toBe(true);
      seen.length = 0;
      // `escape` links to the folder that holds the app: followed, these would be escape/…
      await writeFile(path.join(base, 'secret.txt'), 'changed');
      await writeFile(path.join(base, 'outside.py'), 'b = 1');
      await new Promise((r) => setTimeout(r, 1000));
      expect(seen.filter((p) => p.startsWith('escape'))).toEqual([]);
      await writeFile(path.join(root, 'a.pt'), 'A2');
      await expect.poll(() => seen, { timeout: 10_000 }).toContain('a.pt');
      expect(seen.filter((p) => p.startsWith('escape'))).toEqual([]);
    } finally {
      watching.dispose();
    }
  });
});
