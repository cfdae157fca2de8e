/**
 * Browser mode's server: the StudioApi contract over a real WebSocket, the per-launch token,
 * the refusal of strangers, and the static renderer.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { Disposable } from '../../src/common/api.js';
import { toService, type ApiClient, type Transport } from '../../src/common/rpc.js';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { apiContract } from './contract.js';
import { copyExamples, RENDERER_DIR } from './helpers.js';

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function transportOf(ws: WebSocket): Transport {
  return {
    send: (m) => ws.send(m),
    onMessage(listener): Disposable {
      const h = (d: unknown): void => listener(String(d));
      ws.on('message', h);
      return { dispose: () => ws.off('message', h) };
    },
    onClose(listener): Disposable {
      ws.once('close', listener);
      return { dispose: () => ws.off('close', listener) };
    },
  };
}

/** A GET with the Host header as given (fetch would set its own). */
function getWithHost(
  port: number,
  target: string,
  host: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: target, headers: { host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
  });
}

describe('pse studio --web', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let socket: WebSocket;
  let client: ApiClient;
  let apiUrl: string;

  beforeAll(async () => {
    app = await copyExamples();
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    apiUrl = `ws://127.0.0.1:${studio.port}/api`;
    socket = await connect(`${apiUrl}?token=${studio.token}`);
    client = toService(transportOf(socket));
  });

  afterAll(async () => {
    client?.dispose();
    socket?.close();
    await studio?.close();
    await app?.remove();
  });

  it('prints a URL with a long random token', () => {
    expect(studio.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${studio.port}/\\?token=[\\w-]{32}$`),
    );
  });

  it('refuses a WebSocket without the token, or with a wrong one', async () => {
    await expect(connect(apiUrl)).rejects.toThrow(/401/);
    // one character changed (a fixed 'x' would be no change for a token ending in x)
    const wrong = studio.token.slice(0, -1) + (studio.token.endsWith('x') ? 'y' : 'x');
    await expect(connect(`${apiUrl}?token=${wrong}`)).rejects.toThrow(/401/);
    await expect(connect(`${apiUrl}?token=`)).rejects.toThrow(/401/);
    await expect(
      connect(`ws://127.0.0.1:${studio.port}/other?token=${studio.token}`),
    ).rejects.toThrow(/404/);
  });

  it('refuses a page of another origin even with the token', async () => {
    await expect(
      connect(`${apiUrl}?token=${studio.token}`, { origin: 'http://evil.example' }),
    ).rejects.toThrow(/403/);
  });

  it('survives binary frames and garbage', async () => {
    const ws = await connect(`${apiUrl}?token=${studio.token}`);
    const replies: string[] = [];
    ws.on('message', (d) => replies.push(String(d)));
    ws.send(Buffer.from([0, 1, 2, 3]));
    ws.send('[]');
    ws.send('{"k":"req","id":1}');
    await new Promise((r) => setTimeout(r, 200));
    expect(replies.length).toBe(3);
    for (const r of replies) expect(JSON.parse(r)).toMatchObject({ k: 'err' });
    ws.close();
    expect((await client.getWorkspace()).root).toBe(app.dir);
  });

  it('answers only to 127.0.0.1, localhost and [::1] with its own port (DNS rebinding)', async () => {
    const port = studio.port;
    // a missing file: 404 when served at all, whether or not the renderer is built
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`])
      expect((await getWithHost(port, '/missing.js', host)).status, host).toBe(404);
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1:${port + 1}`]) {
      const res = await getWithHost(port, '/missing.js', host);
      expect(res.status, host).toBe(421);
      expect(res.body).toContain(`http://localhost:${port}`);
    }
    await expect(
      connect(`${apiUrl}?token=${studio.token}`, { host: `rebound.example:${port}` }),
    ).rejects.toThrow(/421/);
  });

  it('serves previews on an origin that answers only to the loopback names', async () => {
    const res = await client.preview({
      path: 'hello.pt',
      overrides: {},
      method: 'GET',
      query: '',
      form: [],
      cookies: {},
      session: { kind: 'none' },
    });
    const doc = new URL(res.documentUrl);
    const port = Number(doc.port);
    const target = doc.pathname + doc.search;
    expect((await getWithHost(port, target, `localhost:${port}`)).status).toBe(200);
    const refused = await getWithHost(port, target, `evil.example:${port}`);
    expect(refused.status).toBe(421);
    expect(refused.body).toContain('evil.example');
    expect((await getWithHost(port, '/hello.pt', `evil.example:${port}`)).status).toBe(421);
  });

  it('serves the built renderer with a strict Content-Security-Policy', async () => {
    const res = await fetch(`http://127.0.0.1:${studio.port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="root">');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const escape = await fetch(`http://127.0.0.1:${studio.port}/..%2f..%2fpackage.json`);
    expect(escape.status).toBe(404);
  });

  apiContract({
    client: () => client,
    appDir: () => app.dir,
    raw: (message) =>
      new Promise((resolve) => {
        let sent = -1;
        try {
          sent = (JSON.parse(message) as { id: number }).id;
        } catch {
          sent = -1;
        }
        const h = (d: unknown): void => {
          const env = JSON.parse(String(d)) as { id: number };
          if (env.id !== sent) return;
          socket.off('message', h);
          resolve(env);
        };
        socket.on('message', h);
        socket.send(message);
      }),
  });
});
