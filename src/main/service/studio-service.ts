/**
 * StudioService: StudioApi on an embedded engine. Node only, no Electron — the same object is
 * served over Electron IPC and over the WebSocket of `pse studio --web`. Arguments arrive already
 * checked against API_ARGS (src/common/rpc.ts); paths are confined here.
 */
import path from 'node:path';
import type {
  Disposable,
  Event,
  FileChange,
  FileContent,
  LocatedProblem,
  LogLine,
  PreviewNavigation,
  PreviewRequest,
  PreviewResult,
  ServerStatus,
  SessionSummary,
  StudioApi,
  TreeEntry,
  WorkspaceInfo,
} from '../../common/api.js';
import type { EngineResult, StudioEngine } from './engine-port.js';
import { resolveReal, toRelative, WorkspacePathError } from './paths.js';
import { InspectorService } from './inspector-service.js';
import { TestingService } from './testing-service.js';
import { ExceptionsService } from './exceptions-service.js';
import { PreviewHost, type PreviewNavigationReport } from './preview-host.js';
import { Workspace } from './workspace.js';

function emitter<T>(): { event: Event<T>; fire(value: T): void; clear(): void } {
  const listeners = new Set<(v: T) => void>();
  return {
    event: (listener) => {
      listeners.add(listener);
      return { dispose: () => listeners.delete(listener) };
    },
    fire: (value) => {
      for (const l of [...listeners]) {
        try {
          l(value);
        } catch {
          // One broken listener must not starve the others.
        }
      }
    },
    clear: () => listeners.clear(),
  };
}

export class StudioService implements StudioApi {
  readonly workspace: Workspace;
  private readonly previewHost: PreviewHost;
  readonly inspector: InspectorService;
  readonly testing: TestingService;
  readonly exceptions: ExceptionsService;
  private status: ServerStatus = { running: false };
  private readonly logs = emitter<LogLine>();
  private readonly statuses = emitter<ServerStatus>();
  private readonly navigations = emitter<PreviewNavigation>();
  private readonly engineLog: Disposable;

  constructor(private readonly engine: StudioEngine) {
    this.workspace = new Workspace(engine.appRoot);
    this.previewHost = new PreviewHost(engine, (nav) => this.navigated(nav));
    this.inspector = new InspectorService(engine.inspectorEngine);
    this.testing = new TestingService(engine.inspectorEngine);
    this.exceptions = new ExceptionsService(engine.inspectorEngine);
    this.engineLog = engine.onLog((line) => this.logs.fire({ time: Date.now(), ...line }));
  }

  private rel(abs: string): string {
    const rel = toRelative(this.engine.appRoot, abs);
    return rel.startsWith('..') || path.isAbsolute(rel) ? abs : rel;
  }

  private relProblem(p: LocatedProblem): LocatedProblem {
    return { ...p, file: path.isAbsolute(p.file) ? this.rel(p.file) : p.file };
  }

  async getWorkspace(): Promise<WorkspaceInfo> {
    return {
      root: this.engine.appRoot,
      name: path.basename(this.engine.appRoot),
      production: this.engine.production,
    };
  }

  listTree(): Promise<TreeEntry[]> {
    return this.workspace.list();
  }

  readFile(file: string): Promise<FileContent> {
    return this.workspace.read(file);
  }

  writeFile(file: string, text: string): Promise<FileContent> {
    return this.workspace.write(file, text);
  }

  createFile(file: string, kind: 'file' | 'dir'): Promise<void> {
    return this.workspace.create(file, kind);
  }

  renamePath(from: string, to: string): Promise<void> {
    return this.workspace.rename(from, to);
  }

  deletePath(file: string): Promise<void> {
    return this.workspace.remove(file);
  }

  async compileCheck(file: string, text: string): Promise<LocatedProblem[]> {
    const abs = await resolveReal(this.engine.appRoot, file);
    if (!/\.(pt|py)$/.test(abs)) return [];
    const problems = await this.engine.compileCheck(abs, text);
    return problems.map((p) => this.relProblem(p));
  }

  async preview(req: PreviewRequest): Promise<PreviewResult> {
    const started = performance.now();
    const servletRel = req.path.replace(/\.py$/, '.pt');
    if (!servletRel.endsWith('.pt'))
      throw new WorkspacePathError(
        `'${req.path}': only a servlet (.pt) or its code module (.py) can be previewed`,
        req.path,
      );
    await resolveReal(this.engine.appRoot, servletRel);
    const overrides: Record<string, string> = {};
    for (const [rel, text] of Object.entries(req.overrides))
      overrides[await resolveReal(this.engine.appRoot, rel)] = text;

    const headers: Record<string, string> = { host: 'studio.preview' };
    const cookies = Object.entries(req.cookies).map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
    if (cookies.length) headers.cookie = cookies.join('; ');
    let body: Buffer | undefined;
    if (req.method === 'POST') {
      body = Buffer.from(new URLSearchParams(req.form).toString(), 'utf8');
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(body.length);
    }
    const urlPath = '/' + servletRel.split('/').map(encodeURIComponent).join('/');
    const result = await this.engine.handle({
      method: req.method,
      url: req.query ? `${urlPath}?${req.query}` : urlPath,
      headers,
      ...(body ? { body } : {}),
      preview: { overrides, session: req.session },
    });
    await this.previewHost.start();
    const documentUrl = this.previewHost.store(
      urlPath,
      { status: result.status, headers: result.headers, body: result.body },
      { overrides, session: req.session },
    );
    return this.previewResult(result, documentUrl, performance.now() - started);
  }

  private previewResult(result: EngineResult, documentUrl: string, ms: number): PreviewResult {
    const out: PreviewResult = {
      status: result.status,
      headers: result.headers,
      documentUrl,
      body: result.body.toString('utf8'),
      problems: result.problems.map((p) => this.relProblem(p)),
      pending: result.pending,
      ms: Math.round(ms),
    };
    if (result.error) {
      out.error = {
        ...result.error,
        frames: result.error.frames.map((f) => ({ ...f, file: this.rel(f.file) })),
      };
    }
    if (result.sessionId) out.sessionId = result.sessionId;
    return out;
  }

  private navigated(nav: PreviewNavigationReport): void {
    this.navigations.fire({
      method: nav.method,
      url: nav.url,
      result: this.previewResult(nav.result, nav.url, nav.ms),
    });
  }

  listSessions(): Promise<SessionSummary[]> {
    return this.engine.listSessions();
  }

  async serverStatus(): Promise<ServerStatus> {
    return this.status;
  }

  async startServer(port: number): Promise<ServerStatus> {
    if (this.status.running) await this.engine.unlisten();
    const { url, port: bound } = await this.engine.listen(port, '127.0.0.1');
    this.status = { running: true, port: bound, url };
    this.statuses.fire(this.status);
    this.logs.fire({ time: Date.now(), kind: 'info', text: `server listening on ${url}` });
    return this.status;
  }

  async stopServer(): Promise<ServerStatus> {
    if (this.status.running) await this.engine.unlisten();
    this.status = { running: false };
    this.statuses.fire(this.status);
    this.logs.fire({ time: Date.now(), kind: 'info', text: 'server stopped' });
    return this.status;
  }

  onFileChange: Event<FileChange> = (listener) => this.workspace.onChange(listener);
  onLog: Event<LogLine> = (listener) => this.logs.event(listener);
  onServerStatus: Event<ServerStatus> = (listener) => this.statuses.event(listener);
  onPreviewNavigation: Event<PreviewNavigation> = (listener) => this.navigations.event(listener);

  // Session inspector, request log, time travel: see inspector-service.ts.
  inspectorSessions: StudioApi['inspectorSessions'] = (q) => this.inspector.inspectorSessions(q);
  inspectorSession: StudioApi['inspectorSession'] = (id) => this.inspector.inspectorSession(id);
  stageEdit: StudioApi['stageEdit'] = (id, edit) => this.inspector.stageEdit(id, edit);
  applyEdits: StudioApi['applyEdits'] = (id, edits) => this.inspector.applyEdits(id, edits);
  createSession: StudioApi['createSession'] = () => this.inspector.createSession();
  expireSession: StudioApi['expireSession'] = (id, v) => this.inspector.expireSession(id, v);
  deleteSession: StudioApi['deleteSession'] = (id, v) => this.inspector.deleteSession(id, v);
  requestLog: StudioApi['requestLog'] = (q) => this.inspector.requestLog(q);
  requestEntry: StudioApi['requestEntry'] = (serial) => this.inspector.requestEntry(serial);
  clearRequestLog: StudioApi['clearRequestLog'] = () => this.inspector.clearRequestLog();
  replayRequest: StudioApi['replayRequest'] = (serial, mode) =>
    this.inspector.replayRequest(serial, mode);
  // Recorded visits as tests: see testing-service.ts.
  exportTest: StudioApi['exportTest'] = (name, serials) => this.testing.exportTest(name, serials);
  listTests: StudioApi['listTests'] = () => this.testing.listTests();
  runTests: StudioApi['runTests'] = (files) => this.testing.runTests(files);
  exceptionGroups: StudioApi['exceptionGroups'] = () => this.exceptions.exceptionGroups();
  sessionTimeline: StudioApi['sessionTimeline'] = (id) => this.inspector.sessionTimeline(id);
  sessionStateAt: StudioApi['sessionStateAt'] = (id, serial) =>
    this.inspector.sessionStateAt(id, serial);
  sessionBlame: StudioApi['sessionBlame'] = (id) => this.inspector.sessionBlame(id);
  onRequestStarted: StudioApi['onRequestStarted'] = (listener) =>
    this.inspector.onRequestStarted(listener);
  onRequestFinished: StudioApi['onRequestFinished'] = (listener) =>
    this.inspector.onRequestFinished(listener);
  onSessionChanged: StudioApi['onSessionChanged'] = (listener) =>
    this.inspector.onSessionChanged(listener);

  /** Stops watching and serving previews. The engine belongs to the caller. */
  async close(): Promise<void> {
    this.engineLog.dispose();
    this.logs.clear();
    this.statuses.clear();
    this.navigations.clear();
    await Promise.all([this.workspace.close(), this.previewHost.close()]);
  }
}
