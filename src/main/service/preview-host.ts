/**
 * The preview origin: a loopback HTTP server on its own port, so that a previewed page (in a
 * sandboxed iframe) never shares an origin with the Studio API. A preview document is served at
 * its servlet's own URL with `?__pse_preview=<id>`, so its relative links, images and styles
 * resolve against the app; every other URL is answered by the embedded engine — always as a dry
 * run, so a link followed or a form posted inside the frame never commits anything.
 *
 * The frame has a session of its own: a cookie of this origin (`__pse_preview_jar`, set with
 * the first document) names a jar held here, in memory. A dry run that changes its session
 * leaves the new state in the frame's jar, and the frame's next request runs against it; a frame
 * whose jar is empty runs against the session chosen in the preview bar. Jars are never stored,
 * and all of them are emptied when the preview bar's choice changes. The app's own cookies are
 * never passed to the frame. A request whose Host is not 127.0.0.1, localhost or [::1] with this
 * port gets 421 (DNS rebinding).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostProblem, loopbackPatterns } from '../../engine/index.js';
import type {
  EngineResult,
  EngineSessionChoice,
  EngineSessionState,
  StudioEngine,
} from './engine-port.js';
import { misdirectedText } from './loopback-host.js';

const MARK = '__pse_preview';
/**
 * The frame's jar. SameSite=None (and so Secure, which Chromium accepts on a loopback http
 * origin): a request the sandboxed frame makes itself has an opaque initiator, and gets no
 * Lax or Strict cookie.
 */
const JAR = '__pse_preview_jar';
const JAR_COOKIE = 'Path=/; HttpOnly; Secure; SameSite=None';
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
  /** jar id → the state the frame's last dry run that changed its session left (null: ended) */
  private readonly jars = new Map<string, EngineSessionState | null>();
  /** counts the emptyings of the jars: a dry run that began before one leaves nothing in them */
  private jarsEmptied = 0;

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
    // another session chosen in the preview bar: whatever the frame made of the last one goes
    if (JSON.stringify(context.session) !== JSON.stringify(this.context.session)) {
      this.jars.clear();
      this.jarsEmptied++;
    }
    this.context = context;
    const id = randomBytes(12).toString('base64url');
    this.docs.set(id, doc);
    while (this.docs.size > KEEP) this.docs.delete(this.docs.keys().next().value as string);
    return `${this.origin}${servletUrlPath}?${MARK}=${id}`;
  }

  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://preview.invalid');
    const { jar, others } = splitJar(req.headers.cookie);
    const jarId = jar ?? randomBytes(12).toString('base64url');
    const setJar = jar === undefined ? `${JAR}=${jarId}; ${JAR_COOKIE}` : undefined;
    const id = url.searchParams.get(MARK);
    if (id !== null) {
      const doc = this.docs.get(id);
      if (!doc) {
        res.writeHead(410, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('This preview is gone; type in the editor to render it again.');
        return;
      }
      res.writeHead(doc.status, frameHeaders(doc.headers, setJar));
      res.end(req.method === 'HEAD' ? undefined : doc.body);
      return;
    }
    const started = performance.now();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    if (others) headers.cookie = others;
    else delete headers.cookie;
    const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await readBody(req);
    const method = req.method ?? 'GET';
    const context = this.context;
    const emptied = this.jarsEmptied;
    const result = await this.engine.handle({
      method,
      url: req.url ?? '/',
      headers,
      ...(body ? { body } : {}),
      preview: { overrides: context.overrides, session: this.sessionOf(jarId, context) },
    });
    // a dry run that changed the frame's session: its next request runs against the new state
    if (result.sessionState !== undefined && emptied === this.jarsEmptied) {
      this.jars.delete(jarId);
      this.jars.set(jarId, result.sessionState);
      while (this.jars.size > KEEP) this.jars.delete(this.jars.keys().next().value as string);
    }
    // a document the frame navigated to (not a style sheet or an image): the pane shows it
    const dest = headers['sec-fetch-dest'];
    if (dest === 'iframe' || dest === 'document')
      this.report({ method, url: req.url ?? '/', result, ms: performance.now() - started });
    res.writeHead(result.status, frameHeaders(result.headers, setJar));
    res.end(req.method === 'HEAD' ? undefined : result.body);
  }

  /** The frame's own session if it has made one, else the preview bar's choice. */
  private sessionOf(jarId: string, context: PreviewContext): EngineSessionChoice {
    const state = this.jars.get(jarId);
    if (state === undefined) return context.session;
    return state === null ? { kind: 'none' } : { kind: 'state', state };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.docs.clear();
    this.jars.clear();
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

/**
 * What the frame gets of a response's headers: never the app's cookies (a session made in the
 * frame lives in its jar here), never cached, sandboxed; the jar's cookie when it has none yet.
 */
function frameHeaders(
  headers: readonly [string, string][],
  setJar: string | undefined,
): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of headers) {
    const key = k.toLowerCase();
    if (key === 'set-cookie' || key === 'content-length' || key === 'transfer-encoding') continue;
    out[key] = v;
  }
  out['cache-control'] = 'no-store';
  out['content-security-policy'] = SANDBOX;
  if (setJar) out['set-cookie'] = setJar;
  return out;
}

/** The jar's id from a Cookie header, and the header's other cookies (cookies are per host, not port). */
function splitJar(header: string | undefined): { jar: string | undefined; others: string } {
  let jar: string | undefined;
  const others: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const c = part.trim();
    if (!c) continue;
    const eq = c.indexOf('=');
    if (eq > 0 && c.slice(0, eq) === JAR) jar = c.slice(eq + 1);
    else others.push(c);
  }
  return { jar: jar && /^[\w-]{16}$/.test(jar) ? jar : undefined, others: others.join('; ') };
}
