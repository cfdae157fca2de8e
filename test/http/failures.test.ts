/**
 * When servlets fail: traceback pages mapped to template and code-module lines (escaped), the
 * plain page in production, ExceptionHook's html, and the worker crash / timeout answers with
 * recovery (the next request succeeds).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootApp, request, type Booted } from './engine-helpers.js';

describe('development mode', () => {
  let app: Booted;
  beforeAll(async () => {
    app = await bootApp('servlets');
  });
  afterAll(() => app?.stop());
  const get = (path: string) => request(app.port, 'GET', path);

  it('shows the traceback at the template line, HTML-escaped', async () => {
    const res = await get('/boom.pt');
    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('IndexError');
    expect(res.body).toMatch(/boom\.pt:3/);
    expect(res.body).not.toMatch(/boom\.pty/);
    await expect
      .poll(() => app.logs.some((l) => l.kind === 'error' && l.text.includes('IndexError')))
      .toBe(true);
  });

  it('names the code module line when the .py raises', async () => {
    const res = await get('/boom_module.pt');
    expect(res.status).toBe(500);
    expect(res.body).toMatch(/boom_module\.py:2/);
    expect(res.body).toContain('KeyError');
    expect(res.body).toContain('&#39;missing-thing&#39;');
  });

  it('gives 504 to a servlet over RequestTimeout, then serves the next request', async () => {
    const slow = await get('/sleep.pt?s=30');
    expect(slow.status).toBe(504);
    expect((await get('/escape.pt')).status).toBe(200);
    expect((await get('/sleep.pt?s=0')).body).toBe('woke up\n');
  });

  it('gives 502 when the worker dies, then serves the next request', async () => {
    const res = await get('/crash.pt');
    expect(res.status).toBe(502);
    for (let i = 0; i < 3; i++) expect((await get('/escape.pt')).status).toBe(200);
  });

  it('gives 503 to a request that waits longer than LockTimeout for its session', async () => {
    const cookie = ((await get('/counter.pt')).headers['set-cookie']?.[0] ?? '').split(';')[0]!;
    const slow = request(app.port, 'GET', '/slow_session.pt?s=2.5', { Cookie: cookie });
    await new Promise((r) => setTimeout(r, 300));
    const waiting = await request(app.port, 'GET', '/counter.pt', { Cookie: cookie });
    expect(waiting.status).toBe(503);
    expect((await slow).status).toBe(200);
    expect((await request(app.port, 'GET', '/counter.pt', { Cookie: cookie })).body).toBe('n=2');
  });

  it('returns the error to in-process callers with mapped frames', async () => {
    const res = await app.engine.handle({ method: 'GET', url: '/boom.pt' });
    expect(res.status).toBe(500);
    expect(res.error?.type).toBe('IndexError');
    expect(
      res.error?.frames.some(
        (f) => f.kind === 'template' && f.file.endsWith('boom.pt') && f.line === 3,
      ),
    ).toBe(true);
  });
});

describe('production mode', () => {
  let app: Booted;
  beforeAll(async () => {
    app = await bootApp('servlets', { production: true, workers: 1 });
  });
  afterAll(() => app?.stop());

  it('shows a plain page and still logs the traceback', async () => {
    const res = await request(app.port, 'GET', '/boom.pt');
    expect(res.status).toBe(500);
    expect(res.body).not.toContain('IndexError');
    expect(res.body).not.toContain('boom.pt');
    await expect
      .poll(() => app.logs.some((l) => l.kind === 'error' && l.text.includes('IndexError')))
      .toBe(true);
  });
});

describe('ExceptionHook', () => {
  let app: Booted;
  beforeAll(async () => {
    app = await bootApp('hooked');
  });
  afterAll(() => app?.stop());

  it("serves the hook's html", async () => {
    const res = await request(app.port, 'GET', '/fail.pt');
    expect(res.status).toBe(500);
    expect(res.body).toBe('<h1>hooked html: kaboom</h1>');
  });
});
