/**
 * Fits the real Engine (src/engine/index.ts) to StudioEngine: the one file of src/main that
 * knows the engine's own types. Preview requests become dry runs against the chosen session;
 * the engine answers with what the run would have changed.
 */
import {
  Engine,
  servletErrorPage,
  type EngineOptions,
  type LogLine,
  type PreviewSession,
} from '../../engine/index.js';
import { withUnsavedSource } from './unsaved-source.js';
import type { Disposable, SessionSummary } from '../../common/api.js';
import type {
  EngineLogLine,
  EngineRequest,
  EngineResult,
  EngineSessionChoice,
  StudioEngine,
} from './engine-port.js';

function previewSession(choice: EngineSessionChoice): PreviewSession {
  if (choice.kind === 'existing') return { id: choice.id };
  if (choice.kind === 'state') return { state: choice.state };
  return choice.kind;
}

export interface OpenOptions {
  production?: boolean;
  workers?: number;
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
    const res = await this.engine.handle({
      method: req.method,
      url: req.url,
      headers: req.headers,
      ...(req.body ? { body: req.body } : {}),
      ...(req.preview
        ? {
            preview: {
              overrides: req.preview.overrides,
              dry: true as const,
              session: previewSession(req.preview.session),
            },
          }
        : {}),
    });
    let { headers, body } = res;
    let servletError = res.error;
    if (servletError && req.preview) {
      // the worker quoted source lines from disk; the preview ran the unsaved text
      const fixed = withUnsavedSource(servletError, req.preview.overrides);
      if (fixed !== servletError && !fixed.html) {
        // the engine's own error page quotes them too: render it again from the fixed error
        const page = servletErrorPage(res.status, fixed, this.engine.config.main.showTracebacks);
        if (Buffer.isBuffer(page.body)) body = page.body;
        headers = headers.map(([k, v]): [string, string] =>
          k.toLowerCase() === 'content-length' ? [k, String(body.length)] : [k, v],
        );
      }
      servletError = fixed;
    }
    const out: EngineResult = {
      status: res.status,
      headers,
      body,
      problems: res.problems,
      pending: req.preview ? (res.session?.changes ?? []) : [],
    };
    if (res.session?.id) out.sessionId = res.session.id;
    if (req.preview && res.session?.state !== undefined) out.sessionState = res.session.state;
    if (servletError) {
      out.error = {
        type: servletError.type,
        message: servletError.message,
        text: servletError.text,
        frames: servletError.frames.map((f) => ({ ...f })),
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

  async listSessions(): Promise<SessionSummary[]> {
    const admin = this.engine.sessionService?.admin;
    if (!admin) return [];
    return (await admin.listSessions({ limit: 200 })).items;
  }

  onLog(listener: (line: EngineLogLine) => void): Disposable {
    // the engine names the request a line is about, and says whether it was a preview
    const handler = (line: LogLine): void => {
      const out: EngineLogLine = { kind: line.kind, text: line.text };
      if (line.about) {
        out.request = line.about.request;
        if (line.about.preview) out.preview = true;
      }
      listener(out);
    };
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
  // on a PostgreSQL store, Studio shows what every process of the cluster serves
  const opts: EngineOptions = { watch: true, followCluster: true };
  if (options.production !== undefined) opts.production = options.production;
  if (options.workers !== undefined) opts.workers = options.workers;
  return new EngineAdapter(await Engine.open(appRoot, opts));
}
