/**
 * Servlets end to end over HTTP: a real Engine with CPython workers running test/apps/servlets.
 * Every member of the pse module and of the built-in plugins, include/call, flush, the output
 * cache, custom tags, user plugins, redirects and cookies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/engine/http/types.js';
import { bootApp, request, type Booted } from './engine-helpers.js';

let app: Booted;
const records: RequestRecord[] = [];
const get = (path: string, headers?: Record<string, string>) =>
  request(app.port, 'GET', path, headers);

beforeAll(async () => {
  app = await bootApp('servlets');
  app.engine.on('request', (r) => records.push(r));
});
afterAll(() => app?.stop());

interface Api {
  method: string;
  path: string;
  url: string;
  args: Record<string, string[]>;
  form: Record<string, string[]>;
  has_key: boolean;
  content: string;
  cgi: Record<string, string | null>;
  id: boolean;
  header: string | null;
  client_ip: string;
  cookies: Record<string, string>;
  server_ip: string;
  child: number;
  version: string;
  copyright: boolean;
  escape: string;
  markup: string;
  app_deleted: boolean;
  server_address: [string, number];
  str_of_field: string | null;
}

describe('the pse module and the request, client and server plugins', () => {
  it('exposes the request to a GET', async () => {
    const res = await get('/api.pt?a=1&a=2&b=x', { 'X-Thing': 'thing', Cookie: 'c1=v1; c2=v2' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const api = JSON.parse(res.body) as Api;
    expect(api).toMatchObject({
      method: 'GET',
      path: '/api.pt',
      url: '/api.pt?a=1&a=2&b=x',
      args: { a: ['1', '2'], b: ['x'] },
      form: { a: ['1', '2'], b: ['x'] },
      has_key: true,
      header: 'thing',
      client_ip: '127.0.0.1',
      cookies: { c1: 'v1', c2: 'v2' },
      server_ip: '127.0.0.1',
      id: true,
      copyright: true,
      escape: '&lt;a&amp;b&gt;',
      markup: '<b>',
    });
    expect(api.cgi).toMatchObject({
      REQUEST_METHOD: 'GET',
      QUERY_STRING: 'a=1&a=2&b=x',
      SCRIPT_NAME: '/api.pt',
      HTTP_X_THING: 'thing',
    });
    expect([1, 2]).toContain(api.child);
    expect(api.app_deleted).toBe(true);
    expect(api.server_address).toEqual(['127.0.0.1', app.port]);
    expect(api.str_of_field).toBe('x');
    expect(api.version).toMatch(/\d/);
  });

  it('merges a POSTed urlencoded form with the query and keeps the raw content', async () => {
    const res = await request(
      app.port,
      'POST',
      '/api?q=1',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'a=%C3%A9t%C3%A9&z=2',
    );
    const api = JSON.parse(res.body) as Api;
    expect(api.method).toBe('POST');
    expect(api.form).toMatchObject({ a: ['été'], z: ['2'], q: ['1'] });
    expect(api.content).toBe('a=%C3%A9t%C3%A9&z=2');
    expect(api.cgi.CONTENT_TYPE).toBe('application/x-www-form-urlencoded');
  });

  it('passes uploads, small in memory and large spooled to a file', async () => {
    const b = 'pseboundary';
    const big = 'B'.repeat(300 * 1024);
    const body =
      `--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nhi\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="f"; filename="small.txt"\r\nContent-Type: text/plain\r\n\r\nsmall\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="f"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${big}\r\n--${b}--\r\n`;
    const res = await request(
      app.port,
      'POST',
      '/upload.pt',
      { 'Content-Type': `multipart/form-data; boundary=${b}` },
      body,
    );
    expect(res.status).toBe(200);
    expect(res.body).toBe(
      `title=hi;f:small.txt:text/plain:5:small;f:big.bin:application/octet-stream:${300 * 1024}:BBBBB`,
    );
  });

  it('answers 413 to an upload over MaxBody', async () => {
    const res = await request(
      app.port,
      'POST',
      '/upload.pt',
      { 'Content-Type': 'application/octet-stream' },
      Buffer.alloc(2 * 1024 * 1024),
    );
    expect(res.status).toBe(413);
  });

  it('logs from the servlet with server.log', async () => {
    await get('/logs.pt');
    await expect
      .poll(() => app.logs.some((l) => l.text.includes('a message from the servlet')))
      .toBe(true);
  });

  it('escapes <?= ?> output (AutoEscape)', async () => {
    expect((await get('/escape.pt')).body).toBe('escaped: &lt;script&gt;');
  });
});

describe('the response plugin', () => {
  it('sets status, content type and headers', async () => {
    const res = await get('/response.pt?mode=status');
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['x-test']).toBe('yes');
  });

  it('redirects', async () => {
    const res = await get('/response.pt?mode=redirect');
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/api.pt?from=redirect');
  });

  it('answers an error status', async () => {
    const res = await get('/response.pt?mode=error');
    expect(res.status).toBe(403);
    expect(res.body).toContain('not for you');
  });

  it('sets a cookie with client.CookieClass', async () => {
    const res = await get('/response.pt?mode=cookie');
    const cookie = res.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^flavour=oat/);
    expect(cookie).toMatch(/Max-Age=3600/i);
    expect(cookie).toMatch(/Path=\//);
  });
});

describe('servlet features', () => {
  it('keeps application dictionaries in the worker', async () => {
    const counts = [];
    for (let i = 0; i < 4; i++) counts.push(Number((await get('/app_dict.pt')).body));
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(2);
  });

  it('include writes in place in the caller namespace; call returns Markup from a copy', async () => {
    expect((await get('/inc.pt')).body).toBe(
      '[<i>include:caller</i>|<i>call:caller</i>|changed by include]',
    );
  });

  it('renders custom tags from TagModules', async () => {
    expect((await get('/tags.pt')).body).toBe('HELLO INNER [plain]');
  });

  it('runs user plugins configured from [plugins.<name>]', async () => {
    expect((await get('/plugin.pt')).body).toBe('stamp-/plugin.pt');
  });

  it('streams after pse.flush(): the first part arrives before the servlet ends', async () => {
    const res = await get('/stream.pt');
    expect(res.status).toBe(200);
    expect(res.body.replace(/\s+/g, ' ').trim()).toBe('first part second part');
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.chunkTimes.length).toBeGreaterThanOrEqual(2);
  });

  it('serves pse.cache output without running the servlet again', async () => {
    const first = await get('/cached.pt?k=1');
    const second = await get('/cached.pt?k=1');
    expect(first.body).toMatch(/^runs=\d+$/);
    expect(second.body).toBe(first.body);
    await expect
      .poll(() => records.filter((r) => r.url === '/cached.pt?k=1').map((r) => r.kind))
      .toEqual(['servlet', 'cache']);
    // another URL is another page
    expect((await get('/cached.pt?k=2')).body).not.toBe('');
  });

  it('keeps a cached page per Host: one name never gets the page made for another', async () => {
    const kinds = (): string[] =>
      records.filter((r) => r.url === '/cached.pt?k=host').map((r) => r.kind);
    await get('/cached.pt?k=host', { host: 'a.example' });
    await expect.poll(kinds).toEqual(['servlet']);
    await get('/cached.pt?k=host', { host: 'A.example' });
    await expect.poll(kinds).toEqual(['servlet', 'cache']);
    await get('/cached.pt?k=host', { host: 'b.example' });
    await expect.poll(kinds).toEqual(['servlet', 'cache', 'servlet']);
  });

  it('runs index.pt of a folder and /name as name.pt', async () => {
    expect((await get('/sub/')).body).toBe('index of sub');
    expect((await get('/app_dict')).status).toBe(200);
  });

  it('answers HEAD to a servlet without a body', async () => {
    const res = await request(app.port, 'HEAD', '/escape.pt');
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
  });

  it('records the worker number and duration of each servlet request', async () => {
    await get('/escape.pt?rec=1');
    await expect
      .poll(() => records.find((r) => r.url === '/escape.pt?rec=1'))
      .toMatchObject({ status: 200, kind: 'servlet' });
    const r = records.find((x) => x.url === '/escape.pt?rec=1')!;
    expect([1, 2, 3, 4]).toContain(r.worker);
    expect(r.durationMs).toBeGreaterThan(0);
    expect(
      app.logs.some((l) => l.kind === 'access' && l.text.includes('"GET /escape.pt?rec=1" 200')),
    ).toBe(true);
  });
});

describe('sessions over HTTP', () => {
  it('creates a session when something is stored, keeps it, and rolls back a failed request', async () => {
    const first = await get('/counter.pt');
    expect(first.body).toBe('n=1');
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    expect(setCookie).toMatch(/^pse_session=[\w-]{22,};/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    const cookie = setCookie.split(';')[0]!;
    expect((await get('/counter.pt', { Cookie: cookie })).body).toBe('n=2');
    expect((await get('/counter.pt?fail=1', { Cookie: cookie })).status).toBe(500);
    expect((await get('/counter.pt', { Cookie: cookie })).body).toBe('n=3');
  });

  it('ignores a cookie with an unknown id', async () => {
    const res = await get('/counter.pt', { Cookie: 'pse_session=' + 'A'.repeat(43) });
    expect(res.body).toBe('n=1');
    expect(res.headers['set-cookie']?.[0]).not.toContain('A'.repeat(43));
  });

  it('serves the requests of one session one after the other', async () => {
    const cookie = ((await get('/counter.pt')).headers['set-cookie']?.[0] ?? '').split(';')[0]!;
    const bodies = await Promise.all(
      Array.from({ length: 6 }, () => get('/counter.pt', { Cookie: cookie })),
    );
    expect(bodies.map((b) => b.body).sort()).toEqual(['n=2', 'n=3', 'n=4', 'n=5', 'n=6', 'n=7']);
  });
});

describe('in-process requests (Engine.handle)', () => {
  it('runs the same path as HTTP', async () => {
    const res = await app.engine.handle({ method: 'GET', url: '/tags.pt' });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('HELLO INNER [plain]');
    expect(res.worker).toBeGreaterThan(0);
  });

  it('previews unsaved text of the template and the code module', async () => {
    const tpl = `${app.root}/app_dict.pt`;
    const mod = `${app.root}/app_dict.py`;
    const res = await app.engine.handle({
      method: 'GET',
      url: '/app_dict.pt',
      preview: { dry: true, overrides: { [tpl]: 'preview <?= n * 100 ?>', [mod]: 'n = 7' } },
    });
    expect(res.body.toString()).toBe('preview 700');
    const bad = await app.engine.handle({
      method: 'GET',
      url: '/app_dict.pt',
      preview: { dry: true, overrides: { [tpl]: '<? if x: ?>open' } },
    });
    expect(bad.status).toBe(500);
    expect(bad.problems[0]).toMatchObject({ file: tpl, line: 1 });
  });

  it('checks unsaved text for editor markers', async () => {
    const tpl = `${app.root}/hot.pt`;
    expect(await app.engine.compileCheck(tpl, 'fine <?= 1 ?>')).toEqual([]);
    const tplErrors = await app.engine.compileCheck(tpl, 'line one\n<? x = = 1 ?>');
    expect(tplErrors).toHaveLength(1);
    expect(tplErrors[0]).toMatchObject({ file: tpl, line: 2, stage: 'python' });
    const pyErrors = await app.engine.compileCheck(`${app.root}/api.py`, 'x = 1\ndef (:\n');
    expect(pyErrors[0]).toMatchObject({ line: 2, stage: 'python' });
    const unclosed = await app.engine.compileCheck(tpl, 'a\n<? if x: ?>b');
    expect(unclosed[0]?.stage).toBe('parse');
  });
});
