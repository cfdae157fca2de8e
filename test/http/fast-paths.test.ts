/**
 * The shortcuts taken on the hot path keep the behaviour: the remembered URL → servlet mapping
 * (a deleted page is gone at once, a new one is there at once), Content-Length on whole pages,
 * the buffered access log, and an engine without a journal (`pse serve --production`).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { request } from './engine-helpers.js';

const SESSION_PY = `from pse.plugins import session
data = session.new()
if pse.form.has_key('name'):
    data['name'] = str(pse.form['name'])
name = data.get('name', 'nobody')
`;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function app(
  files: Record<string, string>,
  opts: { journal?: boolean; logFiles?: boolean } = {},
): Promise<{ engine: Engine; root: string; port: number }> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pse-fast-'));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
  const engine = await Engine.open(root, { watch: false, logFiles: false, workers: 1, ...opts });
  const { port } = await engine.listen(0);
  cleanup.push(async () => {
    await engine.close();
    await rm(root, { recursive: true, force: true });
  });
  return { engine, root, port };
}

describe('URL → servlet, remembered between requests', () => {
  it('answers 404 at once for a page deleted after it was served', async () => {
    const { root, port } = await app({ 'page.pt': '<p>page</p>' });
    expect((await request(port, 'GET', '/page')).body).toBe('<p>page</p>');
    await unlink(path.join(root, 'page.pt'));
    const gone = await request(port, 'GET', '/page');
    expect(gone.status).toBe(404);
    expect(gone.body).not.toContain('<p>page</p>');
  });

  it('serves a page created after a miss at once', async () => {
    const { root, port } = await app({ 'page.pt': '<p>page</p>' });
    expect((await request(port, 'GET', '/later')).status).toBe(404);
    await writeFile(path.join(root, 'later.pt'), '<p>later</p>');
    const res = await request(port, 'GET', '/later');
    expect(res.status).toBe(200);
    expect(res.body).toBe('<p>later</p>');
  });

  it('keeps /dir and /dir/ apart', async () => {
    const { root, port } = await app({ 'dir.pt': '<p>file</p>' });
    await mkdir(path.join(root, 'dir'));
    await writeFile(path.join(root, 'dir', 'index.pt'), '<p>index</p>');
    expect((await request(port, 'GET', '/dir/')).body).toBe('<p>index</p>');
    const redirect = await request(port, 'GET', '/dir');
    expect(redirect.status).toBe(301);
    expect((await request(port, 'GET', '/dir.pt')).body).toBe('<p>file</p>');
  });
});

describe('responses', () => {
  it('sends a whole page with its Content-Length, not chunked', async () => {
    const { port } = await app({ 'page.pt': '<p>héllo</p>' });
    const res = await request(port, 'GET', '/page');
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength('<p>héllo</p>')));
    expect(res.headers['transfer-encoding']).toBeUndefined();
    const head = await request(port, 'HEAD', '/page');
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength('<p>héllo</p>')));
    expect(head.body).toBe('');
  });

  it('keeps repeated headers and several cookies of a whole page, and HEAD gets no body', async () => {
    const { port } = await app({
      'many.pt': '<p>many</p>',
      'many.py': `from pse.plugins import client, response
response.headers.add('X-Twice', 'a')
response.headers.add('X-Twice', 'b')
client.cookies['one'] = client.CookieClass('one', '1')
client.cookies['two'] = client.CookieClass('two', '2')
`,
    });
    for (const method of ['GET', 'HEAD']) {
      const res = await request(port, method, '/many');
      expect(res.status).toBe(200);
      expect(res.headers['x-twice']).toBe('a, b');
      expect(res.headers['set-cookie']?.map((c) => c.split(';')[0])).toEqual(['one=1', 'two=2']);
      expect(res.headers['content-length']).toBe(String('<p>many</p>'.length));
      expect(res.body).toBe(method === 'HEAD' ? '' : '<p>many</p>');
    }
  });

  it('serves a pse.cache page from the output cache after the first run', async () => {
    const { port } = await app({
      'cached.pt': '<p><?= n ?></p>',
      'cached.py': `import itertools, time
counter = pse.__dict__.setdefault('_test_counter', itertools.count(1))
n = next(counter)
pse.cache = time.time() + 60
`,
    });
    expect((await request(port, 'GET', '/cached')).body).toBe('<p>1</p>');
    for (let hit = 0; hit < 2; hit++) {
      const res = await request(port, 'GET', '/cached');
      expect(res.body).toBe('<p>1</p>');
      // the adapter adds Content-Length to a copy: the cached page's own headers stay as they were
      expect(res.headers['content-length']).toBe('8');
    }
    expect((await request(port, 'GET', '/cached?x')).body).toBe('<p>2</p>');
  });

  it('writes every access line to access.log by the time the engine is closed', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'pse-fast-'));
    cleanup.push(() => rm(root, { recursive: true, force: true }));
    await writeFile(path.join(root, 'page.pt'), 'x');
    const engine = await Engine.open(root, { watch: false, workers: 1 });
    const { port } = await engine.listen(0);
    for (let i = 0; i < 5; i++) await request(port, 'GET', `/page?i=${i}`);
    await request(port, 'GET', '/missing');
    await engine.close();
    const lines = (await readFile(path.join(root, '.pse', 'access.log'), 'utf8'))
      .trim()
      .split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[0]).toContain('"GET /page?i=0" 200');
    expect(lines[5]).toContain('"GET /missing" 404');
  });
});

describe('an engine without a journal (pse serve --production)', () => {
  it('keeps sessions working and writes no journal', async () => {
    const { engine, root, port } = await app(
      { 'who.pt': '<p><?= name ?></p>', 'who.py': SESSION_PY },
      { journal: false },
    );
    const first = await request(port, 'GET', '/who?name=Nick');
    expect(first.body).toBe('<p>Nick</p>');
    const cookie = String(first.headers['set-cookie']?.[0]).split(';')[0]!;
    const again = await request(port, 'GET', '/who', { cookie });
    expect(again.body).toBe('<p>Nick</p>');
    const service = engine.sessionService!;
    expect(service.journal.enabled).toBe(false);
    expect(await service.journal.list()).toEqual([]);
    expect(existsSync(path.join(root, '.pse', 'journal.sqlite'))).toBe(false);
  });

  it('still tells live watchers about each request', async () => {
    const { engine, port } = await app(
      { 'who.pt': '<p><?= name ?></p>', 'who.py': SESSION_PY },
      { journal: false },
    );
    const seen: string[] = [];
    engine.sessionService!.requests.on('requestFinished', (e) => seen.push(e.path));
    await request(port, 'GET', '/who?name=Ann');
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual(['/who']);
  });
});
