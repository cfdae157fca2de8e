/**
 * The preview origin: a loopback HTTP server on its own port, so that a previewed page (in a
 * sandboxed iframe) never shares an origin with the Studio API. A preview document is served at
 * its servlet's own URL with `?__pse_preview=<id>`, so its relative links, images and styles
 * resolve against the app; every other URL is answered by the embedded engine — always as a dry
 * run against the session chosen for the latest preview, so a link followed or a form posted
 * inside the frame never commits anything. Whatever the page stores is shown (the navigation is
 * reported) and dropped; no cookie is set, so nothing of it outlives the preview. A request whose
 * Host is not 127.0.0.1, localhost or [::1] with this port gets 421 (DNS rebinding).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostProblem, loopbackPatterns } from '../../engine/index.js';
import type { EngineResult, EngineSessionChoice, StudioEngine } from './engine-port.js';
import { misdirectedText } from './loopback-host.js';

const MARK = '__pse_preview';
const KEEP = 32;
const MAX_BODY = 8 * 1024 * 1024;
// Belt and braces with the iframe's sandbox attribute: an opaque origin even if opened alone.
const SANDBOX = 'sandbox allow-scripts allow-forms allow-popups';

/** What every request of the previewed page runs with: the preview bar's choice. */
export interface PreviewContext {
  /** unsaved text by absolute path */
  overrides: Record<string, string>;
  session: EngineSessionChoice;
}

/** A request the previewed page made itself that loads a document (link, form, redirect). */
export interface PreviewNavigationReport {
  method: string;
  /** path + query on the preview origin */
  url: string;
  result: EngineResult;
  ms: number;
}

interface StoredDoc {
  status: number;
  headers: [string, string][];
  body: Buffer;
}

export class PreviewHost {
  private readonly docs = new Map<string, StoredDoc>();
  private server: http.Server | undefined;
  private origin = '';
  private port = 0;
  private context: PreviewContext = { overrides: {}, session: { kind: 'none' } };

  constructor(
    private readonly engine: StudioEngine,
    private readonly report: (nav: PreviewNavigationReport) => void = () => {},
  ) {}

  async start(): Promise<string> {
    if (this.server) return this.origin;
    const server = http.createServer((req, res) => {
      const why = hostProblem(loopbackPatterns(this.port), req.headers.host);
      if (why !== undefined) {
        res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
        res.end(misdirectedText(why, this.port));
        return;
      }
      void this.answer(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`preview host: ${err instanceof Error ? err.message : String(err)}`);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    this.origin = `http://127.0.0.1:${this.port}`;
    return this.origin;
  }

  /** Keeps a rendered document and returns the URL that serves it. */
  store(servletUrlPath: string, doc: StoredDoc, context: PreviewContext): string {
    this.context = context;
    const id = randomBytes(12).toString('base64url');
    this.docs.set(id, doc);
    while (this.docs.size > KEEP) this.docs.delete(this.docs.keys().next().value as string);
    return `${this.origin}${servletUrlPath}?${MARK}=${id}`;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://preview.invalid');
    const id = url.searchParams.get(MARK);
    if (id !== null) {
      const doc = this.docs.get(id);
      if (!doc) {
        res.writeHead(410, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('This preview is gone; type in the editor to render it again.');
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of doc.headers) {
        const key = k.toLowerCase();
        if (key === 'set-cookie' || key === 'content-length' || key === 'transfer-encoding')
          continue;
        headers[key] = v;
      }
      headers['cache-control'] = 'no-store';
      headers['content-security-policy'] = SANDBOX;
      res.writeHead(doc.status, headers);
      res.end(req.method === 'HEAD' ? undefined : doc.body);
      return;
    }
    const started = performance.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
    const method = req.method ?? 'GET';
    const result = await this.engine.handle({
      method,
      url: req.url ?? '/',
      headers,
      ...(body ? { body } : {}),
      preview: this.context,
    });
    // a document the frame navigated to (not a style sheet or an image): the pane shows it
    const dest = headers['sec-fetch-dest'];
    if (dest === 'iframe' || dest === 'document')
      this.report({ method, url: req.url ?? '/', result, ms: performance.now() - started });
    const out: Record<string, string> = {};
    for (const [k, v] of result.headers) {
      const key = k.toLowerCase();
      if (key === 'set-cookie' || key === 'content-length' || key === 'transfer-encoding') continue;
      out[key] = v;
    }
    out['cache-control'] = 'no-store';
    out['content-security-policy'] = SANDBOX;
    res.writeHead(result.status, out);
    res.end(req.method === 'HEAD' ? undefined : result.body);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.docs.clear();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new Error(`request body larger than ${MAX_BODY} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
