/**
 * The app's `.pse/` (journal, session store with its -wal/-shm, logs, output cache) is private to
 * the account running PSE: the folder 0700, its files 0600, also when an earlier run left them
 * world-readable.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { request } from './engine-helpers.js';

const mode = async (file: string): Promise<string> => ((await stat(file)).mode & 0o777).toString(8);

describe('.pse/ permissions', () => {
  let base: string;
  let engine: Engine;
  let port: number;
  let umask: number;

  beforeAll(async () => {
    umask = process.umask(0o022);
    base = await mkdtemp(path.join(os.tmpdir(), 'pse-private-'));
    await writeFile(
      path.join(base, 'pse.conf'),
      '[Main]\nWorkers = 1\nOutputCacheDir = .pse/cache\n',
    );
    await writeFile(
      path.join(base, 'counter.py'),
      "from pse.plugins import session\ndata = session.new()\ndata['n'] = data.get('n', 0) + 1\n",
    );
    await writeFile(path.join(base, 'counter.pt'), '<?= data["n"] ?>\n');
    await writeFile(path.join(base, 'cached.py'), 'import time\npse.cache = time.time() + 60\n');
    await writeFile(path.join(base, 'cached.pt'), 'kept\n');
    // what an earlier version left: a world-readable folder and log
    await mkdir(path.join(base, '.pse'), { mode: 0o755 });
    await chmod(path.join(base, '.pse'), 0o755);
    await writeFile(path.join(base, '.pse', 'access.log'), 'old line\n', { mode: 0o644 });
    engine = await Engine.open(base, { log: () => undefined });
    ({ port } = await engine.listen(0));
  });
  afterAll(async () => {
    await engine?.close();
    await rm(base, { recursive: true, force: true });
    process.umask(umask);
  });

  it('makes the folder 0700 and every file in it 0600', async () => {
    expect((await request(port, 'GET', '/counter.pt')).status).toBe(200);
    expect((await request(port, 'GET', '/cached.pt')).status).toBe(200);
    const dir = path.join(base, '.pse');
    const expected = [
      'access.log',
      'error.log',
      'journal.sqlite',
      'journal.sqlite-wal',
      'sessions.sqlite',
      'sessions.sqlite-wal',
    ];
    const deadline = Date.now() + 20_000;
    let names: string[] = [];
    while (Date.now() < deadline) {
      names = await readdir(dir);
      const cache = await readdir(path.join(dir, 'cache')).catch(() => []);
      if (expected.every((n) => names.includes(n)) && cache.length > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(names).toEqual(expect.arrayContaining(expected));
    expect(await mode(dir)).toBe('700');
    expect(await mode(path.join(dir, 'cache'))).toBe('700');
    for (const name of names) {
      if (name === 'cache') continue;
      expect(`${name} ${await mode(path.join(dir, name))}`).toBe(`${name} 600`);
    }
    for (const name of await readdir(path.join(dir, 'cache')))
      expect(`${name} ${await mode(path.join(dir, 'cache', name))}`).toBe(`${name} 600`);
  });
});
