/**
 * The only file that imports node:http: it turns IncomingMessage into HttpRequest and writes
 * HttpResponse back. Limits keep one bad client from stalling the others: a header flood is cut
 * by maxHeaderSize and headersTimeout, a slow body by requestTimeout, idle keep-alive sockets by
 * keepAliveTimeout.
 */
import { createReadStream } from 'node:fs';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { isFileBody, type HeaderList, type HttpRequest, type HttpResponse } from './types.js';
import {
  allowHalfClose,
  answerBadClient,
  noteResponse,
  refuseConnect,
} from './connection-edges.js';

export interface ServerLimits {
  /** ms to receive the request head */
  headersTimeout: number;
  /** ms to receive the whole request (head and body) */
  requestTimeout: number;
  /** bytes of request head */
  maxHeaderSize: number;
  keepAliveTimeout: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeout: 10_000,
  requestTimeout: 120_000,
  maxHeaderSize: 16 * 1024,
  keepAliveTimeout: 5_000,
};

/**
 * How often node:http looks for connections over headersTimeout / requestTimeout. Its default
 * (30 s) would let a client trickling its headers stay about 30 s instead of 10; a tenth of the
 * shorter limit, at most a second, keeps each limit within 10 % of its value.
 */
export function checkingInterval(limits: ServerLimits): number {
  return Math.max(
    10,
    Math.min(1000, Math.floor(Math.min(limits.headersTimeout, limits.requestTimeout) / 10)),
  );
}

/** node:http parser errors → the status a client should see before its socket is closed */
const CLIENT_ERRORS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  ERR_HTTP_REQUEST_TIMEOUT: '408 Request Timeout',
  HPE_INVALID_METHOD: '501 Not Implemented',
};

export interface RunningServer {
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
}

export type Handler = (req: HttpRequest) => Promise<HttpResponse>;

/** A server fed connections accepted by another process (the primary of `pse serve --instances`). */
export interface DealtServer {
  accept(socket: Socket): void;
  close(): Promise<void>;
}

export function listen(
  handler: Handler,
  port: number,
  host = '127.0.0.1',
  limits: ServerLimits = DEFAULT_LIMITS,
): Promise<RunningServer> {
  const { server, close } = httpServer(handler, limits);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({ url: `http://${shown}:${addr.port}/`, port: addr.port, host: addr.address, close });
    });
  });
}

export function serveDealt(handler: Handler, limits: ServerLimits = DEFAULT_LIMITS): DealtServer {
  const { server, close } = httpServer(handler, limits);
  // node:http starts watching headersTimeout / requestTimeout (and keeps the list of
  // connections closeIdleConnections() works on) when its server starts listening; this one
  // never listens, so it is told it does.
  server.emit('listening');
  return {
    accept: (socket) => {
      server.emit('connection', socket);
      // the primary accepted it paused, so that only the instance ever reads it
      socket.resume();
    },
    close,
  };
}

function httpServer(
  handler: Handler,
  limits: ServerLimits,
): { server: http.Server; close(): Promise<void> } {
  const sockets = new Set<Socket>();
  const server = http.createServer(
    {
      headersTimeout: limits.headersTimeout,
      requestTimeout: limits.requestTimeout,
      maxHeaderSize: limits.maxHeaderSize,
      keepAliveTimeout: limits.keepAliveTimeout,
      connectionsCheckingInterval: checkingInterval(limits),
    },
    (req, res) => void respond(handler, req, res),
  );
  server.maxHeadersCount = 200;
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    answerBadClient(socket, CLIENT_ERRORS[err.code ?? ''] ?? '400 Bad Request');
  });
  server.on('connect', refuseConnect);
  allowHalfClose(server);
  const close = (): Promise<void> =>
    new Promise<void>((done) => {
      // Not listening (a dealt server) is no error: there is nothing to stop accepting.
      server.close(() => undefined);
      // Idle keep-alive connections go now, busy ones once their response is out; requests in
      // progress get a moment to finish, then their sockets are cut.
      const tick = setInterval(() => {
        server.closeIdleConnections();
        if (sockets.size === 0) finish();
      }, 20);
      const cut = setTimeout(() => {
        for (const s of sockets) s.destroy();
        finish();
      }, 2000);
      const finish = (): void => {
        clearInterval(tick);
        clearTimeout(cut);
        done();
      };
      server.closeIdleConnections();
      if (sockets.size === 0) finish();
    });
  return { server, close };
}

function hasBody(req: http.IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

async function respond(
  handler: Handler,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const sock = req.socket;
  noteResponse(sock, res);
  const request: HttpRequest = {
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    body: hasBody(req) ? req : undefined,
    remote: [sock.remoteAddress ?? '', sock.remotePort ?? 0],
    local: [sock.localAddress ?? '', sock.localPort ?? 0],
  };
  let out: HttpResponse;
  try {
    out = await handler(request);
  } catch (err) {
    // The app answers every error itself; reaching this is a bug, but the client still gets a reply.
    console.error('pse: unhandled error in the request handler', err);
    out = {
      status: 500,
      headers: [['Content-Type', 'text/plain']],
      body: Buffer.from('Internal Server Error\n'),
    };
  }
  try {
    // A whole page in hand (the common case) is written without another await.
    if (Buffer.isBuffer(out.body))
      writeHead(res, out, out.body).end(req.method === 'HEAD' ? undefined : out.body);
    else await write(req, res, out);
  } catch (err) {
    // node:http refused the head before writing a byte (HttpApp checks heads, so this is a bug):
    // the client still gets an answer rather than an empty reply.
    if (!res.headersSent && !res.destroyed) refusedHead(res, err);
    // The client went away mid-response: nothing to answer.
    else res.destroy();
  }
}

function refusedHead(res: http.ServerResponse, err: unknown): void {
  console.error('pse: node:http refused a response head', err);
  const body = Buffer.from('Internal Server Error: the response head could not be sent\n');
  try {
    res.writeHead(500, [
      ['Content-Type', 'text/plain'],
      ['Content-Length', String(body.length)],
    ]);
    res.end(body);
  } catch {
    res.destroy();
  }
}

/**
 * Status and headers out; a Buffer body also gets its Content-Length. Returns `res`.
 * node:http takes the [name, value] list as it is (a repeated name stays one line per value, in
 * order), and sees `Connection: close` in it itself (the socket closes after this response).
 */
function writeHead(
  res: http.ServerResponse,
  out: HttpResponse,
  whole: Buffer | null,
): http.ServerResponse {
  return res.writeHead(
    out.status,
    whole !== null && needsLength(out) ? withLength(out.headers, whole) : out.headers,
  );
}

/** A whole page in hand goes out with its length: no chunked framing for the client to undo. */
function needsLength(out: HttpResponse): boolean {
  if (out.status < 200 || out.status === 204 || out.status === 304) return false;
  for (const [name] of out.headers) {
    // a length check first: this runs for every response, and most names are neither
    if (name.length === 14 || name.length === 17) {
      const lower = name.toLowerCase();
      if (lower === 'content-length' || lower === 'transfer-encoding') return false;
    }
  }
  return true;
}

/** `headers` plus Content-Length (a new list: the response's may be shared, e.g. a cached page's). */
function withLength(headers: HeaderList, body: Buffer): HeaderList {
  const out = headers.slice();
  out.push(['Content-Length', String(body.length)]);
  return out;
}

async function write(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  out: HttpResponse,
): Promise<void> {
  const head = req.method === 'HEAD';
  const body = out.body;
  writeHead(res, out, Buffer.isBuffer(body) ? body : null);
  if (Buffer.isBuffer(body)) {
    res.end(head ? undefined : body);
  } else if (isFileBody(body)) {
    if (head) res.end();
    else await pipeline(createReadStream(body.file, { start: body.start, end: body.end }), res);
  } else {
    if (head) {
      res.end();
      for await (const _ of body); // let the servlet's stream finish
    } else await pipeline(Readable.from(body), res);
  }
}
