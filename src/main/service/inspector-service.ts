/**
 * InspectorService: the inspector part of StudioApi on an embedded engine — the
 * session inspector, the request log with replay, and session time travel. Node only, no
 * Electron. Arguments arrive already checked against INSPECTOR_ARGS (src/common/rpc.ts).
 * Session states in the past come from the engine's time travel (src/engine/journal/history.ts).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Event } from '../../common/api.js';
import {
  parseStatusFilter,
  wouldBeOutcome,
  type ApplyResult,
  type InspectorApi,
  type InspectorSessionQuery,
  type InspectorSessionRow,
  type NamespaceAt,
  type NamespaceEdit,
  type ReplayMode,
  type ReplayResult,
  type RequestLogQuery,
  type RequestOutcome,
  type RequestStarted,
  type SessionChanged,
  type SessionStateAt,
  type StageResult,
  type TimelineTick,
} from '../../common/api-inspector.js';
import type {
  JournalEntry,
  KeyEvent,
  NamespaceBlame,
  NamespaceChange,
} from '../../common/types/journal.js';
import type {
  Page,
  SessionListQuery,
  SessionSummary,
  SessionView,
} from '../../common/types/session.js';
import {
  BatchEditor,
  EditConflictError,
  EditProblemError,
  type EngineRequest,
  type EngineResponse,
  type PreviewSession,
  namespacesAt,
  sessionBlame,
  sessionHistory,
  type SessionService,
} from '../../engine/index.js';

/** What the inspector needs of the engine; the real `Engine` fits. */
export interface InspectorEngine {
  readonly appRoot: string;
  readonly config: { session: { cookieName: string } };
  readonly sessionService: SessionService | null;
  handle(req: EngineRequest): Promise<EngineResponse>;
}

/** A bad inspector call: unknown serial, nothing to replay, sessions switched off. */
export class InspectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectorError';
  }
}

const REPLAY_HEADER = 'x-pse-replay';
/** Headers a replay must not copy: recomputed by the engine, or hop-by-hop. */
const DROP_HEADERS = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'cookie',
  REPLAY_HEADER,
]);

export class InspectorService implements InspectorApi {
  /** `engine` is absent when Studio runs on an engine that has no session service to offer. */
  constructor(private readonly target: InspectorEngine | undefined) {}

  private get engine(): InspectorEngine {
    if (!this.target) throw new InspectorError('this Studio engine offers no session inspector');
    return this.target;
  }

  private get sessions(): SessionService {
    const s = this.engine.sessionService;
    if (!s)
      throw new InspectorError(
        'sessions are switched off for this app ([plugins.session] Enabled = no in pse.conf): there is nothing to inspect',
      );
    return s;
  }

  private get batch(): BatchEditor {
    const s = this.sessions;
    return new BatchEditor({
      manager: s.manager,
      journal: s.journal,
      editor: s.editor,
      events: s.events,
    });
  }

  // ---------------------------------------------------------------------------- sessions

  async inspectorSessions(q: InspectorSessionQuery): Promise<Page<InspectorSessionRow>> {
    const admin = this.sessions.admin;
    const search = q.search.trim();
    const base = { offset: q.offset, limit: q.limit };
    let page: Page<SessionSummary>;
    const prefixed = /^(id|ns|key|text):(.*)$/s.exec(search);
    if (prefixed) {
      const field = ({ id: 'id', ns: 'namespace', key: 'key', text: 'text' } as const)[
        prefixed[1] as 'id' | 'ns' | 'key' | 'text'
      ];
      page = await admin.listSessions({
        ...base,
        [field]: prefixed[2]!.trim(),
      } satisfies SessionListQuery);
    } else if (search) {
      // One box for everything: an id (or part of one) first, else any key or value text.
      page = await admin.listSessions({ ...base, id: search });
      if (page.total === 0) page = await admin.listSessions({ ...base, text: search });
      if (page.total === 0) page = await admin.listSessions({ ...base, namespace: search });
    } else {
      page = await admin.listSessions(base);
    }
    const items = await Promise.all(
      page.items.map(async (s): Promise<InspectorSessionRow> => {
        const v = await admin.getSession(s.id).catch(() => null);
        return { ...s, size: v ? v.namespaceViews.reduce((n, ns) => n + ns.size, 0) : 0 };
      }),
    );
    return { ...page, items };
  }

  inspectorSession(id: string): Promise<SessionView> {
    return this.sessions.admin.getSession(id);
  }

  async stageEdit(sessionId: string, edit: NamespaceEdit): Promise<StageResult> {
    try {
      const change = await this.batch.stage(sessionId, edit);
      return { ok: true, change, baseVersion: edit.baseVersion };
    } catch (err) {
      const failed = asEditFailure(err);
      if (!failed) throw err;
      if ('conflicts' in failed) return { ok: false, conflict: failed.conflicts[0]! };
      return failed;
    }
  }

  async applyEdits(sessionId: string, edits: NamespaceEdit[]): Promise<ApplyResult> {
    try {
      const r = await this.batch.apply(sessionId, edits);
      return { ok: true, session: r.view, changes: r.changes, serial: r.serial };
    } catch (err) {
      const failed = asEditFailure(err);
      if (!failed) throw err;
      return failed;
    }
  }

  createSession(): Promise<SessionView> {
    return this.sessions.admin.createSession();
  }

  expireSession(id: string, version: number): Promise<void> {
    return this.sessions.admin.expireSession(id, version);
  }

  deleteSession(id: string, version: number): Promise<void> {
    return this.sessions.admin.deleteSession(id, version);
  }

  // ------------------------------------------------------------------------- request log

  async requestLog(q: RequestLogQuery): Promise<JournalEntry[]> {
    const statusOk = parseStatusFilter(q.status);
    if (!statusOk)
      throw new InspectorError(
        `status filter '${q.status}': expected a status such as 404, or a class such as 5xx`,
      );
    const journal = this.sessions.journal;
    const out: JournalEntry[] = [];
    let before = q.before > 0 ? q.before : undefined;
    // The journal filters path, outcome and session itself; the status filter pages on here.
    for (let round = 0; round < 50 && out.length < q.limit; round++) {
      const batch = await journal.list({
        limit: Math.max(q.limit, 200),
        ...(before !== undefined ? { before } : {}),
        ...(q.path ? { path: q.path } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.sessionId ? { sessionId: q.sessionId } : {}),
      });
      for (const e of batch) {
        const shown = q.previews === 'shown' || e.outcome !== 'preview' || q.outcome === 'preview';
        if (shown && statusOk(e.status) && out.length < q.limit) out.push(this.relEntry(e));
      }
      if (batch.length === 0) break;
      before = batch.at(-1)!.serial;
    }
    return out;
  }

  async requestEntry(serial: number): Promise<JournalEntry> {
    return this.relEntry(await this.entry(serial));
  }

  async clearRequestLog(): Promise<void> {
    await this.sessions.journal.clear();
  }

  async replayRequest(serial: number, mode: ReplayMode): Promise<ReplayResult> {
    const s = this.sessions;
    const entry = await this.entry(serial);
    if (entry.outcome === 'edited')
      throw new InspectorError(
        `journal entry ${serial} is an edit made in Studio, not a request: there is nothing to replay`,
      );
    const rec = entry.request;
    if (!rec)
      throw new InspectorError(
        `journal entry ${serial}: the request was not recorded, so it cannot be replayed`,
      );
    if (rec.bodyTruncated)
      throw new InspectorError(
        `journal entry ${serial}: the request body was longer than the journal keeps, so it cannot be replayed exactly`,
      );

    const nonce = randomBytes(12).toString('base64url');
    const headers: Record<string, string> = { [REPLAY_HEADER]: nonce };
    for (const [k, v] of rec.headers) {
      const key = k.toLowerCase();
      if (DROP_HEADERS.has(key)) continue;
      headers[key] = headers[key] !== undefined ? `${headers[key]}, ${v}` : v;
    }
    const cookies = { ...rec.cookies };
    // "before": a dry run against the journal's copy of the session as it stood before this
    // request (the engine builds it in memory: no session is written to the store, none shows up)
    let session: PreviewSession | undefined;
    if (mode === 'before') {
      delete cookies[this.engine.config.session.cookieName];
      session = entry.sessionId ? { snapshot: { serial, phase: 'before' } } : 'none';
    }
    const cookieHeader = Object.entries(cookies)
      .map(([k, v]) => `${k}=${v}`)
      .join('; ');
    if (cookieHeader) headers.cookie = cookieHeader;
    let body: Buffer | undefined;
    if (rec.body !== undefined) body = Buffer.from(rec.body, 'utf8');
    else if (rec.form.length && entry.method === 'POST') {
      body = Buffer.from(new URLSearchParams(rec.form).toString(), 'utf8');
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }

    let made: JournalEntry | null = null;
    const stop = s.requests.on('requestFinished', (e) => {
      if (e.request?.headers.some(([k, v]) => k.toLowerCase() === REPLAY_HEADER && v === nonce))
        made = e;
    });
    let res: EngineResponse;
    try {
      res = await this.engine.handle({
        method: entry.method,
        url: entry.query ? `${entry.path}?${entry.query}` : entry.path,
        headers,
        ...(body ? { body } : {}),
        ...(session ? { preview: { dry: true as const, session } } : {}),
      });
    } finally {
      stop();
    }
    const replayed = made as JournalEntry | null;
    const original = outcomeOf(this.relEntry(entry), entry.response?.body ?? '');
    const replay: RequestOutcome = replayed
      ? outcomeOf(this.relEntry(replayed), res.body.toString('utf8'))
      : {
          status: res.status,
          outcome: 'read_only',
          changes: [],
          discarded: [],
          saves: [],
          body: res.body.toString('utf8'),
        };
    return {
      mode,
      original,
      replay,
      serial: replayed?.serial ?? null,
      differences: compareOutcomes(original, replay),
    };
  }

  // -------------------------------------------------------------------------- time travel

  async sessionTimeline(id: string): Promise<TimelineTick[]> {
    return (await sessionHistory(this.sessions.journal, id)).map((e) => ({
      serial: e.serial,
      time: e.time,
      outcome: e.outcome,
      method: e.method,
      path: e.path,
      status: e.status,
      ...(e.edit !== undefined ? { edit: e.edit } : {}),
      namespaces: [...new Set([...e.changes, ...(e.discarded ?? [])].map((c) => c.name))],
    }));
  }

  async sessionStateAt(id: string, serial: number): Promise<SessionStateAt> {
    const past = namespacesAt(await sessionHistory(this.sessions.journal, id), serial, 'after');
    const current = await this.sessions.manager.store.view(id, this.sessions.manager.now());
    const namespaces: NamespaceAt[] = [];
    for (const [name, p] of [...past].sort(([a], [b]) => a.localeCompare(b))) {
      const now = current?.namespaceViews.find((n) => n.name === name);
      let restore: NamespaceAt['restore'] = null;
      if (p.from) restore = { op: 'restore', serial: p.from.serial, phase: p.from.phase };
      else if (p.unchanged) restore = null;
      else if (p.preview === null && now)
        restore = name === '' ? { op: 'clear' } : { op: 'deleteNamespace' };
      namespaces.push({ name, preview: p.preview, restore, unchanged: p.unchanged });
    }
    return { sessionId: id, serial, namespaces };
  }

  async sessionBlame(id: string): Promise<NamespaceBlame[]> {
    const current = await this.sessions.manager.store.view(id, this.sessions.manager.now());
    if (!current) throw new InspectorError(`session ${id}: unknown or expired`);
    const now = new Map(current.namespaceViews.map((n) => [n.name, n.preview] as const));
    return sessionBlame(await sessionHistory(this.sessions.journal, id), now).map((ns) => ({
      ...ns,
      keys: ns.keys.map((k) => ({
        ...k,
        last: k.last && this.relEvent(k.last),
        history: k.history.map((e) => this.relEvent(e)),
      })),
    }));
  }

  // ------------------------------------------------------------------------------- events

  onRequestStarted: Event<RequestStarted> = (listener) =>
    this.listen((s) => s.requests.on('requestStarted', listener));
  onRequestFinished: Event<JournalEntry> = (listener) =>
    this.listen((s) => s.requests.on('requestFinished', (e) => listener(this.relEntry(e))));
  onSessionChanged: Event<SessionChanged> = (listener) =>
    this.listen((s) => s.events.on('sessionChanged', listener));

  /** A subscription to the engine's live events; none when it has no sessions. */
  private listen(subscribe: (s: SessionService) => () => void): { dispose(): void } {
    const s = this.target?.sessionService;
    return { dispose: s ? subscribe(s) : () => undefined };
  }

  // ---------------------------------------------------------------------------- internals

  private async entry(serial: number): Promise<JournalEntry> {
    const e = await this.sessions.journal.get(serial);
    if (!e) throw new InspectorError(`journal entry ${serial}: not recorded (or no longer kept)`);
    return e;
  }

  /** The entry with its cause's and writes' files made app-relative (so the editor opens them). */
  private relEntry(e: JournalEntry): JournalEntry {
    const file = e.cause?.file;
    let out = e;
    if (file) {
      const rel = this.relFile(file);
      if (rel !== file) out = { ...out, cause: { ...e.cause!, file: rel } };
    }
    if (e.writes)
      out = { ...out, writes: e.writes.map((w) => ({ ...w, file: this.relFile(w.file) })) };
    return out;
  }

  private relEvent(e: KeyEvent): KeyEvent {
    return e.file === undefined ? e : { ...e, file: this.relFile(e.file) };
  }

  /** A file under the app as an app-relative path with '/'; any other as it is. */
  private relFile(file: string): string {
    if (!path.isAbsolute(file)) return file;
    const rel = path.relative(this.engine.appRoot, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) return file;
    return rel.split(path.sep).join('/');
  }
}

function asEditFailure(err: unknown): Extract<ApplyResult, { ok: false }> | null {
  if (err instanceof EditConflictError) {
    return { ok: false, conflicts: err.conflicts.map((c) => ({ ...c })) };
  }
  if (err instanceof EditProblemError) {
    return {
      ok: false,
      problem: {
        namespace: err.namespace,
        op: err.op,
        message: err.message,
        ...(err.where ? { field: err.where.field, line: err.where.line, col: err.where.col } : {}),
      },
    };
  }
  return null;
}

function outcomeOf(e: JournalEntry, body: string): RequestOutcome {
  return {
    status: e.status,
    outcome: wouldBeOutcome(e),
    changes: e.changes,
    discarded: e.discarded ?? [],
    saves: e.saves,
    ...(e.cause ? { cause: e.cause } : {}),
    body,
  };
}

function changeKey(changes: NamespaceChange[]): Map<string, string> {
  return new Map(changes.map((c) => [c.name, JSON.stringify(c.after)]));
}

/** What differs between two outcomes, in words; empty when the replay reproduced the original. */
export function compareOutcomes(a: RequestOutcome, b: RequestOutcome): string[] {
  const out: string[] = [];
  if (a.status !== b.status) out.push(`status ${a.status} → ${b.status}`);
  if (a.outcome !== b.outcome) out.push(`outcome ${a.outcome} → ${b.outcome}`);
  for (const [label, x, y] of [
    ['changed', a.changes, b.changes],
    ['discarded', a.discarded, b.discarded],
  ] as const) {
    const ka = changeKey(x);
    const kb = changeKey(y);
    for (const name of new Set([...ka.keys(), ...kb.keys()])) {
      const ns = name === '' ? 'the session dictionary' : `namespace '${name}'`;
      if (!ka.has(name)) out.push(`${label}: ${ns} only in the replay`);
      else if (!kb.has(name)) out.push(`${label}: ${ns} only in the original`);
      else if (ka.get(name) !== kb.get(name))
        out.push(`${label}: ${ns} ends with a different value`);
    }
  }
  const ca = a.cause;
  const cb = b.cause;
  if (!!ca !== !!cb)
    out.push(
      ca
        ? `the original failed (${ca.type ?? ca.kind}); the replay did not`
        : `the replay failed (${cb!.type ?? cb!.kind}); the original did not`,
    );
  else if (ca && cb && (ca.type !== cb.type || ca.line !== cb.line || ca.file !== cb.file))
    out.push(`cause ${ca.type}@${ca.file}:${ca.line} → ${cb.type}@${cb.file}:${cb.line}`);
  return out;
}
