/**
 * Editor and backup copies, Studio's temporary save files, and any name wrapping a hidden one are
 * never served as static files; ordinary static files still are.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpApp } from '../../src/engine/http/app.js';
import { listen, type RunningServer } from '../../src/engine/http/node-adapter.js';
import { isHiddenName } from '../../src/engine/http/static-hidden.js';

const HIDDEN = [
  'name.py~',
  'name.py.bak',
  'name.py.orig',
  'name.py.old',
  'name.py.save',
  '.name.py.swp',
  'name.py.swp',
  'name.py.tmp',
  '#name.py#',
  'pse.conf~',
  'pse.conf.orig',
  'name.py.pse-save-1234-1733300000000',
  'style.css.pse-save-99-1',
  'style.css.bak',
  'notes.txt~',
  'hello.py.txt',
  'hello.pty.html',
  'PSE.CONF.dist',
  'Name.PY',
  '.env',
];
const SERVED = ['style.css', 'notes.txt', 'py.txt', 'conf.txt', 'my.pse.conf.txt', 'a#b.txt'];

describe('hidden names', () => {
  it.each(HIDDEN)('hides %s', (name) => expect(isHiddenName(name)).toBe(true));
  it.each(SERVED)('serves %s', (name) => expect(isHiddenName(name)).toBe(false));
});

describe('static files over HTTP', () => {
  let base: string;
  let server: RunningServer;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'pse-hidden-'));
    await mkdir(path.join(base, 'sub'));
    for (const name of [...HIDDEN, ...SERVED]) {
      await writeFile(path.join(base, name), `secret ${name}`);
      await writeFile(path.join(base, 'sub', name), `secret ${name}`);
    }
    const app = new HttpApp({
      root: base,
      body: () => ({ maxBody: 1024, spoolThreshold: 1024, tmpDir: os.tmpdir() }),
      runServlet: () => Promise.reject(new Error('no servlet here')),
    });
    server = await listen(app.respond, 0);
  });
  afterAll(async () => {
    await server?.close();
    await rm(base, { recursive: true, force: true });
  });

  const status = (target: string): Promise<number> =>
    new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: server.port, path: target }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        })
        .on('error', reject);
    });

  it('answers 404 for every editor, backup or temporary copy', async () => {
    for (const name of HIDDEN) {
      const url = encodeURIComponent(name);
      expect(await status(`/${url}`), name).toBe(404);
      expect(await status(`/sub/${url}`), name).toBe(404);
    }
  });

  it('still serves ordinary files', async () => {
    for (const name of SERVED) expect(await status(`/${encodeURIComponent(name)}`), name).toBe(200);
  });
});
