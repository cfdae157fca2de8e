/**
 * A response head node:http cannot send never becomes an empty reply: a redirect to a URL with
 * non-ASCII characters is percent-encoded, a page's bad content_type is a located servlet error
 * (500, traceback in development), and whatever else slips through is answered 500 — with the
 * access log recording the status that was sent.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { HttpApp } from '../../src/engine/http/app.js';
import { listen } from '../../src/engine/http/node-adapter.js';
import type { HttpResponse, RequestRecord } from '../../src/engine/http/types.js';
import { request } from './engine-helpers.js';

/** A raw exchange: the reply exactly as it came, '' when the server closed without a byte. */
function raw(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () =>
      s.write(`GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`),
    );
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', reject);
  });
}

async function until<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('servlets whose head cannot be sent as they set it', () => {
  let base: string;
  let engine: Engine;
  let port: number;
  const records: RequestRecord[] = [];

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'pse-head-'));
    await writeFile(path.join(base, 'pse.conf'), '[Main]\nWorkers = 1\n');
    await writeFile(
      path.join(base, 'away.py'),
      "from pse.plugins import response\nresponse.redirect('/f\\u00fcr/\\u65e5 x?q=\\u00e9')\n",
    );
    await writeFile(path.join(base, 'away.pt'), 'never\n');
    await writeFile(
      path.join(base, 'badtype.py'),
      "from pse.plugins import response\n\nresponse.content_type = 'text/html\\r\\nX-Evil: 1'\n",
    );
    await writeFile(path.join(base, 'badtype.pt'), 'never\n');
    engine = await Engine.open(base, { log: () => undefined });
    engine.on('request', (r: RequestRecord) => records.push(r));
    ({ port } = await engine.listen(0));
  });
  afterAll(async () => {
    await engine?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('percent-encodes a redirect to a URL with non-ASCII characters', async () => {
    const reply = await raw(port, '/away.pt');
    expect(reply).toMatch(/^HTTP\/1\.1 302 /);
    expect(reply).toContain('\r\nLocation: /f%C3%BCr/%E6%97%A5%20x?q=%C3%A9\r\n');
    const rec = await until(() => records.find((r) => r.url === '/away.pt'));
    expect(rec.status).toBe(302);
  });

  it('answers a content_type with CR/LF with a located 500, and logs the 500', async () => {
    const res = await request(port, 'GET', '/badtype.pt');
    expect(res.status).toBe(500);
    expect(res.headers['x-evil']).toBeUndefined();
    expect(res.body).toContain('content_type cannot be sent: it contains CR or LF');
    expect(res.body).toContain(`${path.join(base, 'badtype.py')}:3`);
    const log = await until(async () => {
      const text = await readFile(path.join(base, '.pse', 'access.log'), 'utf8').catch(() => '');
      return /"GET \/badtype\.pt" \d+/.test(text) ? text : undefined;
    });
    expect(log).toMatch(/"GET \/badtype\.pt" 500 /);
  });
});

describe('a head that slips through to the HTTP core', () => {
  const bad: HttpResponse = {
    status: 200,
    headers: [['X-Bad', 'a\r\nX-Evil: 1']],
    body: Buffer.from('page'),
  };

  it('is answered 500 by HttpApp, and recorded as 500', async () => {
    const base = await mkdtemp(path.join(os.tmpdir(), 'pse-head-'));
    await writeFile(path.join(base, 'p.pt'), '');
    const records: RequestRecord[] = [];
    const app = new HttpApp({
      root: base,
      body: () => ({ maxBody: 1024, spoolThreshold: 1024, tmpDir: os.tmpdir() }),
      onRecord: (r) => records.push(r),
      runServlet: () => Promise.resolve({ res: { ...bad, headers: [...bad.headers] } }),
    });
    const server = await listen(app.respond, 0);
    try {
      const reply = await raw(server.port, '/p.pt');
      expect(reply).toMatch(/^HTTP\/1\.1 500 /);
      expect(reply).not.toMatch(/\r\nX-Evil:/);
      expect(reply).toContain('header X-Bad');
      expect(records.map((r) => r.status)).toEqual([500]);
      expect(records[0].error).toContain('response head refused');
    } finally {
      await server.close();
      await rm(base, { recursive: true, force: true });
    }
  });

  it('is answered 500 by the node adapter when a handler returns one', async () => {
    const server = await listen(
      () => Promise.resolve({ ...bad, headers: [['X-Wide', '\u65e5']] }),
      0,
    );
    try {
      const reply = await raw(server.port, '/');
      expect(reply).toMatch(/^HTTP\/1\.1 500 /);
      expect(reply).toContain('response head could not be sent');
    } finally {
      await server.close();
    }
  });
});
