/**
 * Fits the real Engine (src/engine/index.ts) to StudioEngine: the one file of src/main that
 * knows the engine's own types. Preview requests become dry runs against the chosen session;
 * the engine answers with what the run would have changed.
 */
import {
  Engine,
  servletErrorPage,
  type EngineOptions,
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
  return choice.kind === 'existing' ? { id: choice.id } : choice.kind;
}

export interface OpenOptions {
  production?: boolean;
  workers?: number;
}

/** The `"METHOD URL"` an access or error line quotes. */
const QUOTED_REQUEST = /"([A-Z]+ [^"]*)"/;

export class EngineAdapter implements StudioEngine {
  /**
   * `"METHOD URL"` of the previews in flight: the engine logs a request before answering it,
   * so a line quoting one of them is about a preview (the console keeps those apart).
   */
  private readonly previewsInFlight = new Map<string, number>();

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
    if (!req.preview) return this.run(req);
    const key = `${req.method} ${req.url}`;
    this.previewsInFlight.set(key, (this.previewsInFlight.get(key) ?? 0) + 1);
    try {
      return await this.run(req);
    } finally {
      const n = this.previewsInFlight.get(key)! - 1;
      if (n > 0) this.previewsInFlight.set(key, n);
      else this.previewsInFlight.delete(key);
    }
  }

  private async run(req: EngineRequest): Promise<EngineResult> {
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
    const handler = (line: EngineLogLine): void => {
      const quoted = line.kind === 'info' ? null : QUOTED_REQUEST.exec(line.text);
      listener(
        quoted && this.previewsInFlight.has(quoted[1]!)
          ? { kind: line.kind, text: line.text, preview: true }
          : { kind: line.kind, text: line.text },
      );
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
