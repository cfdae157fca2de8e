/**
 * Browser mode (`pse studio --web`): one loopback HTTP server that serves the built renderer
 * (out/renderer) and the Studio API over a WebSocket at /api. Every WebSocket must present the
 * per-launch token (`?token=`); anything else is refused before the upgrade. Requests whose
 * Host is not 127.0.0.1, localhost or [::1] with this port get 421 (DNS rebinding).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import type { StudioApi } from '../../common/api.js';
import { serveApi } from '../../common/rpc.js';
import { contentType, hostProblem, loopbackPatterns } from '../../engine/index.js';
import { misdirectedText } from '../service/loopback-host.js';
import { wsTransport } from './ws-transport.js';

export interface WebStudioOptions {
  service: StudioApi;
  /** folder of the built renderer (index.html + assets) */
  rendererDir: string;
  port: number;
  host?: string;
  /** for rejected messages and refused connections */
  log?: (line: string) => void;
}

export interface WebStudio {
  /** the URL to open, token included */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_PAYLOAD = 32 * 1024 * 1024;

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      // Monaco sets element styles at run time.
      "style-src 'self' 'unsafe-inline'",
      "font-src 'self' data:",
      "img-src 'self' data:",
      "worker-src 'self' blob:",
      `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
      // Previews come from the preview origin on another loopback port, always sandboxed.
      'frame-src http://127.0.0.1:*',
      "object-src 'none'",
      "base-uri 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  };
}

export async function startWebStudio(options: WebStudioOptions): Promise<WebStudio> {
  const token = randomBytes(24).toString('base64url');
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const root = path.resolve(options.rendererDir);
  let port = 0;

  const server = http.createServer((req, res) => {
    const why = hostProblem(loopbackPatterns(port), req.headers.host);
    if (why !== undefined) {
      log(`studio: refused a request from ${req.socket.remoteAddress}: ${why}`);
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(misdirectedText(why, port));
      return;
    }
    void serveStatic(root, req, res, securityHeaders(port)).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`studio: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_PAYLOAD });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://studio.invalid');
    const refuse = (status: number, why: string): void => {
      log(`studio: refused a WebSocket from ${req.socket.remoteAddress}: ${why}`);
      socket.end(
        `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
    };
    const why = hostProblem(loopbackPatterns(port), req.headers.host);
    if (why !== undefined) return refuse(421, why);
    if (url.pathname !== '/api') return refuse(404, `unknown path ${url.pathname}`);
    if (!sameToken(url.searchParams.get('token'), token))
      return refuse(401, 'missing or wrong token');
    const origin = req.headers.origin;
    // Browsers always send Origin; a page on another origin has no business here even with a token.
    if (origin !== undefined && origin !== `http://${req.headers.host}`)
      return refuse(403, `foreign origin ${origin}`);
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => ws.terminate());
      serveApi(options.service, wsTransport(ws), {
        onRejected: (why) => log(`studio: rejected a message: ${why}`),
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function serveStatic(
  root: string,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  headers: Record<string, string>,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' });
    res.end();
    return;
  }
  const url = new URL(req.url ?? '/', 'http://studio.invalid');
  let rel: string;
  try {
    rel = decodeURIComponent(url.pathname);
  } catch {
    rel = '\0';
  }
  const file = path.resolve(root, '.' + (rel === '/' ? '/index.html' : rel));
  const info =
    file.startsWith(root + path.sep) && !rel.includes('\0')
      ? await stat(file).catch(() => undefined)
      : undefined;
  if (!info?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(
      rel === '/'
        ? `The Studio renderer is not built (no ${path.join(root, 'index.html')}). Run \`npm run build\`.`
        : 'not found',
    );
    return;
  }
  res.writeHead(200, {
    'content-type': contentType(file),
    'content-length': String(info.size),
    'cache-control': rel === '/' || rel === '/index.html' ? 'no-store' : 'max-age=3600',
    ...headers,
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(file).pipe(res);
}
