/**
 * Fits the real Engine (src/engine/engine.ts) to StudioEngine: the one file of src/main that
 * knows the engine's own types. Preview requests become dry runs; the session choice becomes
 * the session cookie of the request (an existing id) or its absence (none / fresh). What a dry
 * run would have changed is read back from the request journal, where the engine records it.
 */

/** Marks a preview request so that its journal entry can be found again. */
const PREVIEW_HEADER = 'x-pse-studio-preview';
import { randomBytes } from 'node:crypto';
import { Engine, type EngineOptions } from '../../engine/engine.js';
import type { Disposable, NamespaceChange, SessionSummary } from '../../common/api.js';
import type { EngineLogLine, EngineRequest, EngineResult, StudioEngine } from './engine-port.js';

export interface OpenOptions {
  production?: boolean;
  workers?: number;
}

function withoutCookie(header: string | undefined, name: string): string[] {
  if (!header) return [];
  return header
    .split(';')
    .map((c) => c.trim())
    .filter((c) => c && c.split('=')[0]!.trim() !== name);
}

export class EngineAdapter implements StudioEngine {
  constructor(readonly engine: Engine) {}

  get appRoot(): string {
    return this.engine.appRoot;
  }

  /** the inspector works on the engine itself (sessions, journal, in-process replays) */
  get inspectorEngine(): Engine {
    return this.engine;
  }

  get production(): boolean {
    return this.engine.production;
  }

  async handle(req: EngineRequest): Promise<EngineResult> {
    const headers = { ...req.headers };
    const mark = req.preview ? randomBytes(9).toString('base64url') : undefined;
    if (req.preview && mark) {
      headers[PREVIEW_HEADER] = mark;
      const name = this.engine.config.session.cookieName;
      const cookies = withoutCookie(headers.cookie, name);
      if (req.preview.session.kind === 'existing')
        cookies.push(`${name}=${req.preview.session.id}`);
      if (cookies.length) headers.cookie = cookies.join('; ');
      else delete headers.cookie;
    }
    const res = await this.engine.handle({
      method: req.method,
      url: req.url,
      headers,
      ...(req.body ? { body: req.body } : {}),
      ...(req.preview ? { preview: { overrides: req.preview.overrides, dry: true as const } } : {}),
    });
    const out: EngineResult = {
      status: res.status,
      headers: res.headers,
      body: res.body,
      problems: res.problems,
      pending: [],
    };
    if (mark) {
      const run = this.previewRun(req.url, mark);
      out.pending = run.changes;
      if (run.sessionId) out.sessionId = run.sessionId;
    }
    if (res.error) {
      out.error = {
        type: res.error.type,
        message: res.error.message,
        text: res.error.text,
        frames: res.error.frames.map((f) => ({ ...f })),
      };
    }
    return out;
  }

  compileCheck(file: string, text: string) {
    return this.engine.compileCheck(file, text);
  }

  listen(port: number, host: string) {
    return this.engine.listen(port, host);
  }

  unlisten(): Promise<void> {
    return this.engine.unlisten();
  }

  /** The journal entry of a dry run: the session it ran against and what it would have changed. */
  private previewRun(
    url: string,
    mark: string,
  ): { changes: NamespaceChange[]; sessionId?: string } {
    const admin = this.engine.sessionService?.admin;
    if (!admin) return { changes: [] };
    const path = decodeURIComponent(url.replace(/\?.*$/, ''));
    const entry = admin
      .journal({ outcome: 'preview', path, limit: 20 })
      .find((e) =>
        e.request?.headers.some(([k, v]) => k.toLowerCase() === PREVIEW_HEADER && v === mark),
      );
    if (!entry) return { changes: [] };
    return { changes: entry.changes, ...(entry.sessionId ? { sessionId: entry.sessionId } : {}) };
  }

  async listSessions(): Promise<SessionSummary[]> {
    const admin = this.engine.sessionService?.admin;
    if (!admin) return [];
    return (await admin.listSessions({ limit: 200 })).items;
  }

  onLog(listener: (line: EngineLogLine) => void): Disposable {
    const handler = (line: EngineLogLine): void => listener(line);
    this.engine.on('log', handler);
    return { dispose: () => this.engine.off('log', handler) };
  }

  close(): Promise<void> {
    return this.engine.close();
  }
}

export async function openStudioEngine(
  appRoot: string,
  options: OpenOptions = {},
): Promise<EngineAdapter> {
  const opts: EngineOptions = { watch: true };
  if (options.production !== undefined) opts.production = options.production;
  if (options.workers !== undefined) opts.workers = options.workers;
  return new EngineAdapter(await Engine.open(appRoot, opts));
}
