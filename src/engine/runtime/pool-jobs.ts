/**
 * The jobs the worker pool sends: a servlet run (`RunJob`: its chunks, log lines, calls back to
 * Node and its result) and a one-shot `check` or `admin` (`DoneJob`).
 */
import { WorkerFailure, type Job, type JobKind } from './job.js';
import type {
  CallMsg,
  ChunkMsg,
  DoneMsg,
  FormValue,
  LogMsg,
  ReplyMsg,
  ResMsg,
  SessionOut,
} from './protocol.js';
import type { LogSubject, RunHooks, RunInput, RunResult, RunSink } from './run.js';
import type { Worker } from './worker.js';
import type { PreviewValue } from '../../common/types/session.js';
import type { SessionInput, SessionResult } from '../session/result.js';

const EMPTY = Buffer.alloc(0);

/** What a run's job asks of its pool (WorkerPool fits). */
export interface JobHost {
  log(level: LogMsg['level'], msg: string, worker?: number, about?: LogSubject): void;
  answerSource(w: Worker, cid: number, path: string): void;
  noteRefused(): void;
}

export function reply(w: Worker, msg: ReplyMsg, blobs?: readonly Buffer[]): void {
  w.write(msg, blobs);
}

export function errorText(err: unknown, doing: string): string {
  return `${doing} failed: ${err instanceof Error ? err.message : String(err)}`;
}

/** `this` is the blob list of the frame being built. */
export function formField(
  this: Buffer[],
  [name, value]: RunInput['form'][number],
): [string, FormValue] {
  if (typeof value === 'string') return [name, value];
  const v: FormValue = { filename: value.filename, type: value.type, size: value.size };
  if (value.file !== undefined) v.file = value.file;
  if (value.data !== undefined) v.blob = this.push(value.data) - 1;
  return [name, v];
}

const NO_PREVIEWS: Readonly<Record<string, PreviewValue>> = Object.freeze({});
const NONE_DELETED: readonly string[] = Object.freeze([]);

/** The report with its defaults filled in (the worker leaves them out) and its blobs resolved. */
function sessionResult(s: SessionOut, blobs: Buffer[]): SessionResult {
  const changed = new Map<string, Buffer>();
  const sent = s.changed;
  if (sent !== undefined) for (const name in sent) changed.set(name, blobs[sent[name]!] ?? EMPTY);
  const r: SessionResult = {
    id: s.id,
    created: s.created === true,
    changed,
    previews: s.previews ?? NO_PREVIEWS,
    deleted: s.deleted ?? NONE_DELETED,
  };
  if (s.regenerated !== undefined) r.regenerated = s.regenerated;
  if (s.invalidated !== undefined) r.invalidated = s.invalidated;
  if (s.writes !== undefined) r.writes = s.writes;
  return r;
}

export class RunJob implements Job {
  readonly kind: JobKind = 'req';
  ended = false;
  urgent = false;
  pinned = false;
  /**
   * The worker whose pipe it was last written to, while that worker may still hold the session
   * it leaves (null: it is not on a pipe, was refused or failed): a request may follow it there.
   */
  on: Worker | null = null;
  /** chunks kept when there is no onChunk hook: merged into the body */
  private chunks: Buffer[] | null = null;
  private head: { status: number; headers: [string, string][] } | undefined;

  constructor(
    private readonly pool: JobHost,
    readonly id: number,
    readonly frame: Buffer,
    readonly label: string,
    private readonly hooks: RunHooks | undefined,
    private readonly sink: RunSink,
    /** the session's namespaces as read for this request: a lazy one is fetched from here */
    private readonly namespaces?: SessionInput['ns'],
  ) {}

  message(w: Worker, msg: CallMsg | ChunkMsg | LogMsg, blobs: Buffer[]): void {
    switch (msg.t) {
      case 'chunk': {
        const data = blobs[msg.data] ?? EMPTY;
        if (this.hooks?.onChunk) this.hooks.onChunk(msg.head, data);
        else {
          if (msg.head) this.head = msg.head;
          (this.chunks ??= []).push(data);
        }
        return;
      }
      case 'log':
        this.hooks?.onLog?.(msg.level, msg.msg);
        this.pool.log(msg.level, msg.msg, w.id, this.hooks?.subject);
        return;
      case 'call':
        if (msg.op === 'source') this.pool.answerSource(w, msg.cid, msg.path);
        else if (msg.op === 'ns') this.namespace(w, msg.cid, msg.name);
        else this.save(w, msg.cid, sessionResult(msg.session, blobs));
        return;
    }
  }

  private namespace(w: Worker, cid: number, name: string): void {
    const p = this.namespaces?.get(name);
    let pickle: Buffer;
    try {
      if (p === undefined) {
        throw new Error(`the session of ${this.label} has no namespace ${JSON.stringify(name)}`);
      }
      // A store may read a big namespace only now, when the page uses it.
      pickle = Buffer.isBuffer(p) ? p : p.read();
    } catch (err) {
      reply(w, {
        t: 'reply',
        to: cid,
        ok: false,
        error: { message: errorText(err, `session namespace ${JSON.stringify(name)}`) },
      });
      return;
    }
    reply(w, { t: 'reply', to: cid, ok: true, pickle: 0 }, [pickle]);
  }

  private save(w: Worker, cid: number, s: SessionResult): void {
    const hooks = this.hooks;
    if (!hooks?.onSave) {
      reply(w, {
        t: 'reply',
        to: cid,
        ok: false,
        error: { message: 'session.save(): this run has no session store' },
      });
      return;
    }
    let p: Promise<void>;
    try {
      p = hooks.onSave(s); // a method call: hooks may be an object with methods
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      () => reply(w, { t: 'reply', to: cid, ok: true }),
      (err: unknown) =>
        reply(w, {
          t: 'reply',
          to: cid,
          ok: false,
          error: { message: errorText(err, 'session.save()') },
        }),
    );
  }

  finish(w: Worker, msg: ResMsg | DoneMsg, blobs: Buffer[]): void {
    this.ended = true;
    if (msg.t === 'res' && msg.refused) {
      this.on = null;
      this.pool.noteRefused();
      if (this.sink.onRefused) this.sink.onRefused();
      else
        this.sink.onFailure(
          new WorkerFailure('crash', `${this.label}: worker ${w.id} refused to run it`, w.id),
        );
      return;
    }
    if (msg.t !== 'res') {
      this.sink.onFailure(
        new WorkerFailure(
          'crash',
          `${this.label}: worker ${w.id} answered "${msg.t}" to a request`,
          w.id,
        ),
      );
      return;
    }
    let body = blobs[msg.body] ?? EMPTY;
    let status = msg.status;
    let headers = msg.headers;
    if (this.chunks) {
      this.chunks.push(body);
      body = Buffer.concat(this.chunks);
      if (this.head) ({ status, headers } = this.head);
    }
    const r: RunResult = {
      status,
      headers,
      body,
      streamed: msg.streamed === true && this.chunks === null,
      saves: msg.saves ?? 0,
      worker: w.id,
    };
    if (msg.cacheUntil !== undefined) r.cacheUntil = msg.cacheUntil;
    if (msg.session) r.session = sessionResult(msg.session, blobs);
    if (msg.error) r.error = msg.error;
    if (msg.timing) {
      const [moduleUs, templateUs, runUs] = msg.timing;
      r.timing = { module: moduleUs / 1000, template: templateUs / 1000, run: runUs / 1000 };
    }
    if (msg.scope) r.scope = msg.scope;
    this.sink.onResult(r);
  }

  fail(failure: WorkerFailure): void {
    this.on = null;
    if (this.ended) return;
    this.ended = true;
    this.sink.onFailure(failure);
  }
}

export class DoneJob implements Job {
  ended = false;

  constructor(
    readonly id: number,
    readonly kind: JobKind,
    readonly frame: Buffer,
    readonly label: string,
    private readonly reject: (e: Error) => void,
    private readonly onDone: (msg: DoneMsg, blobs: Buffer[]) => void,
  ) {}

  message(_w: Worker, msg: CallMsg | ChunkMsg | LogMsg): void {
    if (msg.t === 'call') {
      // check and admin never call back; answer so the worker does not wait forever
      reply(_w, {
        t: 'reply',
        to: msg.cid,
        ok: false,
        error: { message: `"${msg.op}" is not available during ${this.label}` },
      });
    }
  }

  finish(w: Worker, msg: ResMsg | DoneMsg, blobs: Buffer[]): void {
    this.ended = true;
    if (msg.t !== 'done')
      this.reject(
        new WorkerFailure('crash', `${this.label}: worker ${w.id} answered "${msg.t}"`, w.id),
      );
    else this.onDone(msg, blobs);
  }

  fail(failure: WorkerFailure): void {
    if (this.ended) return;
    this.ended = true;
    this.reject(failure);
  }
}
