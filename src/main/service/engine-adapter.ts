/**
 * Fits the real Engine (src/engine/engine.ts) to StudioEngine: the one file of src/main that
 * knows the engine's own types. Preview requests become dry runs against the chosen session;
 * the engine answers with what the run would have changed.
 */
import { Engine, type EngineOptions, type PreviewSession } from '../../engine/engine.js';
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
    const out: EngineResult = {
      status: res.status,
      headers: res.headers,
      body: res.body,
      problems: res.problems,
      pending: req.preview ? (res.session?.changes ?? []) : [],
    };
    if (res.session?.id) out.sessionId = res.session.id;
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
