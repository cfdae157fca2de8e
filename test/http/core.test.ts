/**
 * The HTTP core over real sockets: URL mapping, refusal of every path trick, static files and
 * their validators, bodies and uploads. The servlet handler here reports what the core handed it,
 * since the core (not the worker pool) is under test; servlets proper are tested in servlets.test.ts.
 */
import { access, readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpApp, type ServletRequest } from '../../src/engine/http/app.js';
import { listen, type RunningServer } from '../../src/engine/http/node-adapter.js';
import type { RequestRecord } from '../../src/engine/http/types.js';
import { makeDocRoot, type Fixture } from './fixture.js';

let fx: Fixture;
let server: RunningServer;
const seen: ServletRequest[] = [];
const records: RequestRecord[] = [];
const tempsSeen: string[] = [];

beforeAll(async () => {
  fx = await makeDocRoot();
  const app = new HttpApp({
    root: fx.root,
    body: () => ({ maxBody: 64 * 1024, spoolThreshold: 1024, tmpDir: os.tmpdir() }),
    onRecord: (r) => records.push(r),
    runServlet: async (s) => {
      seen.push(s);
      const form = await Promise.all(
        s.form.map(async ([k, v]) => {
          if (typeof v === 'string') return [k, v];
          if (v.file) tempsSeen.push(v.file);
          const bytes = v.data ?? (await readFile(v.file!));
          return [
            k,
            {
              filename: v.filename,
              type: v.type,
              size: v.size,
              spooled: !!v.file,
              text: bytes.toString(),
            },
          ];
        }),
      );
      let body: unknown = null;
      if (s.body && Buffer.isBuffer(s.body)) body = s.body.toString();
      else if (s.body) {
        tempsSeen.push(s.body.file);
        body = { file: true, length: (await readFile(s.body.file)).length };
      }
      const out = Buffer.from(
        JSON.stringify({
          servlet: s.servlet.slice(fx.root.length),
          path: s.path,
          query: s.query,
          form,
          body,
        }),
      );
      return {
        res: { status: 200, headers: [['Content-Type', 'application/json']], body: out },
        worker: 7,
      };
    },
  });
  server = await listen(app.respond, 0);
});

afterAll(async () => {
  await server?.close();
  await fx?.remove();
});

interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A raw request, so that the path is sent exactly as written (no client-side normalisation). */
function request(
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: Buffer | string,
  agent?: http.Agent,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method, path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const get = (path: string, headers?: Record<string, string>): Promise<Res> =>
  request('GET', path, headers);

describe('URL mapping', () => {
  it.each([
    ['/', '/index.pt', '/'],
    ['/hello.pt', '/hello.pt', '/hello.pt'],
    ['/hello', '/hello.pt', '/hello'],
    ['/sub/', '/sub/index.pt', '/sub/'],
    ['/sub/page', '/sub/page.pt', '/sub/page'],
    ['/sub/page.pt?a=1&b=2', '/sub/page.pt', '/sub/page.pt'],
  ])('%s runs %s', async (url, servlet, path) => {
    const res = await get(url);
    expect(res.status).toBe(200);
    const got = JSON.parse(res.body) as { servlet: string; path: string; query: string };
    expect(got.servlet).toBe(servlet);
    expect(got.path).toBe(path);
    if (url.includes('?')) expect(got.query).toBe('a=1&b=2');
  });

  it('redirects a folder URL without its slash, keeping the query', async () => {
    const res = await get('/sub?x=1');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/sub/?x=1');
  });

  it('gives 404 for a folder without index.pt and for missing files', async () => {
    expect((await get('/empty/')).status).toBe(404);
    expect((await get('/nothing')).status).toBe(404);
    expect((await get('/style.css/')).status).toBe(404);
  });

  it.each([
    '/hello.py',
    '/helper.py',
    '/helper',
    '/hello.pty',
    '/pse.conf',
    '/.env',
    '/.git/config',
    '/%2eenv',
    '/../outside/secret.txt',
    '/sub/../../outside/secret.txt',
    '/%2e%2e/outside/secret.txt',
    '/sub/%2E%2E/%2e%2e/outside/secret.txt',
    '/sub/..%2f..%2foutside/secret.txt',
    '/style.css%00.pt',
    '/hello.pt%00',
    '/sub\\..\\..\\outside\\secret.txt',
    '/sub%5c..%5cstyle.css',
    '/escape.txt',
    '/escape-dir/secret.txt',
    '/helper.txt',
    '/HELLO.PY',
  ])('refuses %s with 404', async (url) => {
    const res = await get(url);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain('outside the root');
    expect(res.body).not.toContain('SECRET');
  });

  it('answers 400 to a malformed percent-encoding', async () => {
    expect((await get('/%zz')).status).toBe(400);
  });

  it('follows a symlink that stays inside the root', async () => {
    const res = await get('/alias.css');
    expect(res.status).toBe(200);
    expect(res.body).toContain('color: red');
  });
});

describe('static files', () => {
  it('sends MIME type, length, ETag and Last-Modified', async () => {
    const res = await get('/style.css');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(res.headers['content-length']).toBe(String('body { color: red }\n'.length));
    expect(res.headers.etag).toMatch(/^W\/"/);
    expect(res.headers['last-modified']).toBeTruthy();
    expect((await get('/data.json')).headers['content-type']).toBe(
      'application/json; charset=utf-8',
    );
  });

  it('answers 304 to If-None-Match and If-Modified-Since', async () => {
    const first = await get('/style.css');
    const byTag = await get('/style.css', { 'If-None-Match': first.headers.etag! });
    expect(byTag.status).toBe(304);
    expect(byTag.body).toBe('');
    const byDate = await get('/style.css', {
      'If-Modified-Since': first.headers['last-modified']!,
    });
    expect(byDate.status).toBe(304);
    const stale = await get('/style.css', { 'If-None-Match': 'W/"other"' });
    expect(stale.status).toBe(200);
  });

  it('answers HEAD with headers only', async () => {
    const res = await request('HEAD', '/style.css');
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String('body { color: red }\n'.length));
    expect(res.body).toBe('');
  });

  it('serves a byte range and refuses an unsatisfiable one', async () => {
    const part = await get('/sub/notes.txt', { Range: 'bytes=2-4' });
    expect(part.status).toBe(206);
    expect(part.body).toBe('234');
    expect(part.headers['content-range']).toBe('bytes 2-4/10');
    expect((await get('/sub/notes.txt', { Range: 'bytes=-3' })).body).toBe('789');
    expect((await get('/sub/notes.txt', { Range: 'bytes=20-' })).status).toBe(416);
  });

  it('refuses POST on a static file with 405', async () => {
    const res = await request('POST', '/style.css', { 'Content-Type': 'text/plain' }, 'x');
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('keeps the connection alive across requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const ports = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(
          { host: '127.0.0.1', port: server.port, path: '/style.css', agent },
          (res) => {
            ports.add(res.socket.localPort!);
            res.resume();
            res.on('end', resolve);
          },
        );
        req.on('error', reject);
      });
    }
    agent.destroy();
    expect(ports.size).toBe(1);
  });
});

describe('request bodies', () => {
  it('parses a urlencoded form and keeps the raw body', async () => {
    const res = await request(
      'POST',
      '/hello',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'a=1&b=%C3%A9&a=2',
    );
    const got = JSON.parse(res.body) as { form: unknown; body: string };
    expect(got.form).toEqual([
      ['a', '1'],
      ['b', 'é'],
      ['a', '2'],
    ]);
    expect(got.body).toBe('a=1&b=%C3%A9&a=2');
  });

  it('parses multipart: fields, a small upload in memory, a large one spooled and then removed', async () => {
    const big = 'x'.repeat(5000);
    const b = '----pse';
    const body =
      `--${b}\r\nContent-Disposition: form-data; name="title"\r\n\r\nmy files\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="small"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nsmall one\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="big"; filename="b.bin"\r\nContent-Type: application/octet-stream\r\n\r\n${big}\r\n` +
      `--${b}--\r\n`;
    tempsSeen.length = 0;
    const res = await request(
      'POST',
      '/hello',
      { 'Content-Type': `multipart/form-data; boundary=${b}` },
      body,
    );
    expect(res.status).toBe(200);
    const got = JSON.parse(res.body) as { form: [string, unknown][]; body: unknown };
    expect(got.form).toEqual([
      ['title', 'my files'],
      [
        'small',
        { filename: 'a.txt', type: 'text/plain', size: 9, spooled: false, text: 'small one' },
      ],
      [
        'big',
        {
          filename: 'b.bin',
          type: 'application/octet-stream',
          size: 5000,
          spooled: true,
          text: big,
        },
      ],
    ]);
    expect(tempsSeen).toHaveLength(1);
    await expect
      .poll(() =>
        access(tempsSeen[0]).then(
          () => 'exists',
          () => 'gone',
        ),
      )
      .toBe('gone');
  });

  it('spools a large raw body to a file and removes it after the request', async () => {
    tempsSeen.length = 0;
    const res = await request(
      'PUT',
      '/hello',
      { 'Content-Type': 'application/octet-stream' },
      Buffer.alloc(4000, 1),
    );
    expect(JSON.parse(res.body).body).toEqual({ file: true, length: 4000 });
    await expect
      .poll(() =>
        access(tempsSeen[0]).then(
          () => 'exists',
          () => 'gone',
        ),
      )
      .toBe('gone');
  });

  it('answers 400 to malformed multipart', async () => {
    const noBoundary = await request(
      'POST',
      '/hello',
      { 'Content-Type': 'multipart/form-data' },
      'junk',
    );
    expect(noBoundary.status).toBe(400);
    const truncated = await request(
      'POST',
      '/hello',
      { 'Content-Type': 'multipart/form-data; boundary=zz' },
      '--zz\r\nContent-Disposition: form-data; name="a"\r\n\r\nunfinished',
    );
    expect(truncated.status).toBe(400);
  });

  it('answers 413 from Content-Length alone, without reading the body', async () => {
    const res = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write(
          'POST /hello HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000000\r\n\r\nabc',
        );
      });
      let text = '';
      sock.on('data', (d) => (text += d.toString()));
      sock.on('close', () => resolve(text));
      sock.on('error', reject);
    });
    expect(res).toMatch(/^HTTP\/1\.1 413/);
    expect(res.toLowerCase()).toContain('connection: close');
  });

  it('answers 413 to a chunked body that grows past MaxBody', async () => {
    const res = await new Promise<string>((resolve, reject) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write(
          'POST /hello HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n',
        );
        const chunk = Buffer.alloc(16 * 1024, 97);
        for (let i = 0; i < 5; i++)
          sock.write(`${chunk.length.toString(16)}\r\n${chunk.toString()}\r\n`);
      });
      let text = '';
      sock.on('data', (d) => (text += d.toString()));
      sock.on('close', () => resolve(text));
      sock.on('error', () => resolve(text));
      setTimeout(() => reject(new Error('no answer')), 10_000).unref();
    });
    expect(res).toMatch(/^HTTP\/1\.1 413/);
  });

  it('answers 431 to a header flood and keeps serving others', async () => {
    const res = await get('/style.css', { 'X-Flood': 'y'.repeat(20_000) });
    expect(res.status).toBe(431);
    expect((await get('/style.css')).status).toBe(200);
  });
});

describe('slow clients', () => {
  it('a client stuck in its headers or its body does not stall the others', async () => {
    const stuckHead = net.connect(server.port, '127.0.0.1', () =>
      stuckHead.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: '),
    );
    const stuckBody = net.connect(server.port, '127.0.0.1', () =>
      stuckBody.write(
        'POST /hello HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nonly a little',
      ),
    );
    try {
      await new Promise((r) => setTimeout(r, 100));
      const results = await Promise.all([get('/style.css'), get('/hello'), get('/sub/notes.txt')]);
      expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    } finally {
      stuckHead.destroy();
      stuckBody.destroy();
    }
  });
});

describe('access records', () => {
  it('records each request with its worker, kind and duration', async () => {
    records.length = 0;
    await get('/hello?x=1');
    await get('/style.css');
    await get('/missing');
    const mine = (): RequestRecord[] =>
      records.filter((r) => ['/hello?x=1', '/style.css', '/missing'].includes(r.url));
    await expect.poll(() => mine().length).toBe(3);
    const [a, b, c] = mine();
    expect(a).toMatchObject({
      method: 'GET',
      url: '/hello?x=1',
      status: 200,
      worker: 7,
      kind: 'servlet',
    });
    expect(a.durationMs).toBeGreaterThanOrEqual(0);
    expect(b).toMatchObject({ status: 200, kind: 'static' });
    expect(c).toMatchObject({ status: 404, kind: 'error' });
  });
});
