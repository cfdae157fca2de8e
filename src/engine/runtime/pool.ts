/**
 * The worker pool: the public API of the runtime. Turns requests into jobs, sends each to the
 * least-loaded worker (up to `maxInFlight` queued on one pipe, else a pool-level FIFO), answers
 * the workers' calls (template sources, session saves) and builds the results.
 */
import { EventEmitter } from 'node:events';
import { spawnChild, type Spawner } from './child.js';
import { encodeFrame } from './framing.js';
import { WorkerFailure, type Job } from './job.js';
import type {
  AdminMsg,
  CheckMsg,
  CompiledSource,
  LocatedError,
  LogMsg,
  ReqMsg,
  WorkerConfig,
} from './protocol.js';
import { PYTHON_DIR } from '../paths.js';
import type { PySyntaxError } from '../template/index.js';
import type { PreviewValue } from '../../common/types/session.js';
import {
  bootScriptIn,
  Supervisor,
  systemClock,
  type ExitInfo,
  type LoopClock,
  type SupervisorHost,
} from './supervisor.js';
import type { Worker } from './worker.js';
import type { LogSubject, RunHandle, RunHooks, RunInput, RunResult, RunSink } from './run.js';
import { DoneJob, errorText, formField, reply, RunJob } from './pool-jobs.js';

export { WorkerFailure } from './job.js';
export type { FailureKind } from './job.js';
export { BootError, type ExitInfo } from './supervisor.js';

/** Compiled template for a `.pt` path, or why it does not compile. */
export type SourceProvider = (path: string) => Promise<CompiledSource | LocatedError>;

export interface PoolOptions {
  /** resolved sys.executable (see python.ts) */
  python: string;
  workers: number;
  appRoot: string;
  config: WorkerConfig;
  /** per-request deadline; 0 = none */
  requestTimeoutMs: number;
  /** recycle a worker after this many requests, plus up to 10 % jitter */
  maxRequests?: number;
  /** jobs queued on one worker's pipe; default DEFAULT_MAX_IN_FLIGHT */
  maxInFlight?: number;
  /** no job is queued behind one that has run this long, and those queued move; default STALL_MS */
  stallMs?: number;
  sources: SourceProvider;
  log?: (level: LogMsg['level'], msg: string, worker?: number) => void;
  /** pse_boot.py; default: the one in this source tree */
  bootScript?: string;
  /** tests: a fake process spawner and clock */
  spawn?: Spawner;
  clock?: LoopClock;
  heartbeatTimeoutMs?: number;
  bootTimeoutMs?: number;
  tickMs?: number;
  backoffMs?: { base: number; max: number };
}

export interface StartInfo {
  python: string;
  tags: string[];
  plugins: string[];
  issues: LocatedError[];
}

export interface AdminRequest extends Omit<AdminMsg, 't' | 'id' | 'pickle' | 'from'> {
  pickle?: Buffer;
  from?: Buffer;
}

export interface AdminResult {
  ok: boolean;
  error?: { message: string; line?: number; col?: number };
  pickle?: Buffer;
  preview?: PreviewValue;
}

export interface PoolStats {
  workers: { id: number; pid: number; served: number; inFlight: number; ageMs: number }[];
  queued: number;
  /** runs sent to follow another of their session on its worker (`dispatchAfter`), since start */
  followed: number;
  /** of those, the ones the worker refused unstarted (then run the usual way) */
  refused: number;
}

/**
 * Jobs on one worker's pipe. More keeps a busy worker from running dry between turns of Node's
 * event loop: it reads the next job from its pipe instead of sleeping until Node writes again,
 * and each wake-up saved is CPU saved on both sides (wrk, 32 connections, 2 workers: 4 → 8 cut
 * Node's CPU per request by ~10 % and Python's by ~10 %; 16 a little more). The price: a slow
 * page delays the jobs already queued behind it on its pipe (new jobs go to less loaded
 * workers), so this stays small.
 */
const DEFAULT_MAX_IN_FLIGHT = 8;
/**
 * A worker whose running job has taken this long gets no new job, and the jobs queued behind it
 * are asked back (`release`) while another worker has room: a slow page delays no other request
 * by much more than this (plus the worker's 100 ms look at its pipe). Pages that take longer are
 * not helped by queuing anyway: its gain is in the wake-ups saved between short jobs.
 */
const STALL_MS = 100;
/**
 * Job ids, unique across pools: a job handed over to the pool that replaces this one (a changed
 * pse.conf) keeps its id, and ids on one worker's pipe must never repeat.
 */
let jobSeq = 0;
const DEFAULT_BOOT_SCRIPT = bootScriptIn(PYTHON_DIR);
/**
 * A session namespace up to this size travels with every request of its session (a page mostly
 * uses its session's small namespaces, and a fetch would cost a round trip); a bigger one only
 * when a page asks for it (`session.new(name)`), so that it slows only the pages that use it.
 */
const INLINE_NAMESPACE_BYTES = 64 * 1024;
/**
 * Jobs on one pipe beyond which no request is sent to follow another there (`dispatchAfter`).
 * Those are not held to `maxInFlight`: they wait for their session wherever they are, and on
 * the pipe of the worker that holds it they start the moment it is free.
 */
const MAX_ON_PIPE = 64;

export class WorkerPool extends EventEmitter {
  private readonly sup: Supervisor;
  private readonly queue: Job[] = [];
  private readonly maxInFlight: number;
  private readonly stallMs: number;
  private readonly clock: LoopClock;
  /** the look for stalled jobs, running only while a job waits behind another on a pipe */
  private stopRebalance: (() => void) | null = null;
  private closed = false;
  /** the pool that took over: jobs that reach this one after it closed go there */
  private successor: WorkerPool | null = null;
  private tags: string[] | null = null;
  private followed = 0;
  private refused = 0;

  constructor(private readonly opts: PoolOptions) {
    super();
    this.maxInFlight = Math.max(1, opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
    this.stallMs = opts.stallMs ?? STALL_MS;
    this.clock = opts.clock ?? systemClock;
    const host: SupervisorHost = {
      capacity: (w) => {
        this.noteTags(w);
        this.pump();
      },
      room: () => {
        if (this.queue.length > 0) this.pump();
      },
      orphaned: (jobs) => this.requeue(jobs),
      unavailable: (reason) => this.failQueued(`no worker is running: ${reason}`),
      spawned: (w) => this.emit('worker-spawn', { id: w.id, pid: w.pid }),
      exited: (info) => {
        this.emit('worker-exit', info);
        this.pump();
      },
      log: (level, msg, worker) => this.log(level, msg, worker),
    };
    this.sup = new Supervisor(
      {
        spawn: opts.spawn ?? spawnChild,
        clock: this.clock,
        python: opts.python,
        bootScript: opts.bootScript ?? DEFAULT_BOOT_SCRIPT,
        appRoot: opts.appRoot,
        config: opts.config,
        workers: opts.workers,
        requestTimeoutMs: opts.requestTimeoutMs,
        maxRequests: opts.maxRequests,
        ...(opts.heartbeatTimeoutMs !== undefined && {
          heartbeatTimeoutMs: opts.heartbeatTimeoutMs,
        }),
        ...(opts.bootTimeoutMs !== undefined && { bootTimeoutMs: opts.bootTimeoutMs }),
        ...(opts.tickMs !== undefined && { tickMs: opts.tickMs }),
        ...(opts.backoffMs !== undefined && { backoffMs: opts.backoffMs }),
      },
      host,
    );
  }

  override on(event: 'worker-spawn', listener: (w: { id: number; pid: number }) => void): this;
  override on(event: 'worker-exit', listener: (info: ExitInfo) => void): this;
  override on(
    event: 'log',
    listener: (level: LogMsg['level'], msg: string, worker?: number, about?: LogSubject) => void,
  ): this;
  /** the custom tag names the workers registered, whenever they change */
  override on(event: 'tags', listener: (tags: string[]) => void): this;
  override on(event: string, listener: (...args: never[]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /** Spawns the workers; rejects with a BootError when they cannot boot (e.g. a broken plugin). */
  async start(): Promise<StartInfo> {
    await this.sup.start();
    const r = this.sup.lastReady!;
    return { python: r.python, tags: r.tags, plugins: r.plugins, issues: r.issues };
  }

  run(input: RunInput, hooks?: RunHooks): Promise<RunResult> {
    return new Promise<RunResult>((resolve, reject) => {
      this.dispatch(input, hooks, { onResult: resolve, onFailure: reject });
    });
  }

  /**
   * `run` without a promise: `sink` hears of the end, from the pipe's own callback. The server's
   * request path uses this (one promise and its reactions fewer per request).
   */
  dispatch(input: RunInput, hooks: RunHooks | undefined, sink: RunSink): RunHandle {
    const job = this.runJob(input, hooks, sink);
    this.submit(job);
    return job;
  }

  /**
   * The next request of a session, sent to the worker that runs (or last ran) `prev`, a
   * request of the same session, to start from the session as `prev` leaves it there, without
   * a round trip through Node between the two (`ReqMsg.after`). The worker refuses it unstarted
   * (`RunSink.onRefused`) when it holds no such copy or `deadline` (epoch ms) has passed. Null
   * when `prev` is on no worker that can take it: run it the usual way.
   */
  dispatchAfter(
    prev: RunHandle,
    deadline: number,
    input: RunInput,
    hooks: RunHooks | undefined,
    sink: RunSink,
  ): RunHandle | null {
    const w = prev instanceof RunJob ? prev.on : null;
    if (!w || !w.dispatchable || w.inFlight >= MAX_ON_PIPE || this.closed) return null;
    const job = this.runJob({ ...input, session: null }, hooks, sink, prev.id, deadline);
    job.pinned = true;
    this.followed++;
    this.sendTo(w, job);
    return job;
  }

  /**
   * Gives up a run that has not started (its request was answered otherwise): its result, if
   * one still comes, is dropped, and its worker is asked to give it back unstarted.
   */
  withdraw(run: RunHandle): void {
    if (!(run instanceof RunJob) || run.ended) return;
    run.ended = true;
    const w = run.on;
    run.on = null;
    w?.releaseOne(run);
    const i = this.queue.indexOf(run);
    if (i >= 0) this.queue.splice(i, 1);
  }

  private runJob(
    input: RunInput,
    hooks: RunHooks | undefined,
    sink: RunSink,
    after?: number,
    deadline?: number,
  ): RunJob {
    const blobs: Buffer[] = [];
    const msg: ReqMsg = {
      t: 'req',
      id: ++jobSeq,
      servlet: input.servlet,
      method: input.method,
      url: input.url,
      path: input.path,
      headers: input.headers,
      remote: input.remote,
      local: input.local,
      session: null,
    };
    // Left out at their defaults: each field costs both sides' JSON on every request.
    if (input.query !== '') msg.query = input.query;
    if (input.form.length !== 0) msg.form = input.form.map(formField, blobs);
    if (input.dry) msg.dry = true;
    if (input.override) msg.override = input.override;
    if (input.record) msg.record = true;
    if (after !== undefined) {
      msg.after = after;
      msg.deadline = deadline;
    }
    if (input.body !== undefined) {
      msg.body = Buffer.isBuffer(input.body) ? blobs.push(input.body) - 1 : input.body;
    }
    if (input.session) {
      const ns: Record<string, number> = {};
      let lazy: string[] | undefined;
      for (const [name, p] of input.session.ns) {
        const size = Buffer.isBuffer(p) ? p.length : p.size;
        if (size > INLINE_NAMESPACE_BYTES) (lazy ??= []).push(name);
        else ns[name] = blobs.push(Buffer.isBuffer(p) ? p : p.read()) - 1;
      }
      msg.session = { id: input.session.id, ns };
      if (lazy) msg.session.lazy = lazy;
    }
    const label = `${input.method} ${input.path}`;
    const frame = encodeFrame(msg, blobs);
    const job = new RunJob(this, msg.id, frame, label, hooks, sink, input.session?.ns);
    if (input.urgent) job.urgent = true;
    return job;
  }

  /** Python syntax check of generated sources, by a worker. */
  check(sources: { name: string; code: string }[]): Promise<PySyntaxError[]> {
    return new Promise((resolve, reject) => {
      const msg: CheckMsg = { t: 'check', id: ++jobSeq, sources };
      const job = new DoneJob(msg.id, 'check', encodeFrame(msg), 'syntax check', reject, (done) => {
        if (!done.ok && !done.errors)
          reject(new Error(`syntax check failed: ${done.error?.message ?? 'no reason given'}`));
        else resolve(done.errors ?? []);
      });
      this.submit(job);
    });
  }

  /** Edit a pickled session namespace (Python literals only, never eval). */
  admin(req: AdminRequest): Promise<AdminResult> {
    return new Promise((resolve, reject) => {
      const blobs: Buffer[] = [];
      const msg: AdminMsg = { t: 'admin', id: ++jobSeq, op: req.op };
      if (req.key !== undefined) msg.key = req.key;
      if (req.literal !== undefined) msg.literal = req.literal;
      if (req.pickle) msg.pickle = blobs.push(req.pickle) - 1;
      if (req.from) msg.from = blobs.push(req.from) - 1;
      const job = new DoneJob(
        msg.id,
        'admin',
        encodeFrame(msg, blobs),
        `admin ${req.op}`,
        reject,
        (done, b) => {
          const out: AdminResult = { ok: done.ok };
          if (done.error) out.error = done.error;
          if (done.pickle !== undefined) out.pickle = b[done.pickle];
          if (done.preview) out.preview = done.preview;
          resolve(out);
        },
      );
      this.submit(job);
    });
  }

  /**
   * New workers (new helper modules, plugins, tag modules; `config` when pse.conf changed)
   * replace the old ones, which finish what is on their pipes first: no request is dropped.
   * Rejects with a BootError if the new workers cannot boot; the old ones then keep serving.
   */
  async restart(reason: string, config?: WorkerConfig): Promise<void> {
    this.log('NOTICE', `restarting the workers: ${reason}`);
    await this.sup.restart(config);
  }

  /** Workers finish what they have and exit; queued jobs fail as unavailable. */
  async stop(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.failQueued('the worker pool is stopping');
    }
    await this.stopWorkers();
  }

  /**
   * Replaced by `next` (a changed pse.conf): the jobs queued here, those submitted from now on,
   * and those a dying worker leaves unstarted run on `next`; the jobs already on this pool's
   * pipes finish here, then its workers exit. No request is dropped.
   */
  async handOver(next: WorkerPool): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.successor = next;
      this.forward(this.queue.splice(0));
    }
    await this.stopWorkers();
  }

  private async stopWorkers(): Promise<void> {
    const t = this.opts.requestTimeoutMs;
    try {
      await this.sup.stop((t > 0 ? t : 30_000) + 1000);
    } finally {
      this.stopRebalance?.();
      this.stopRebalance = null;
    }
  }

  stats(): PoolStats {
    const now = this.clock.now();
    return {
      workers: this.sup.workers
        .filter((w) => w.state !== 'exited')
        .map((w) => ({
          id: w.id,
          pid: w.pid,
          served: w.served,
          inFlight: w.inFlight,
          ageMs: Math.round(now - w.startedAt),
        })),
      queued: this.queue.length,
      followed: this.followed,
      refused: this.refused,
    };
  }

  // ------------------------------------------------------------ dispatch

  private submit(job: Job): void {
    if (this.successor) {
      this.successor.submit(job);
      return;
    }
    if (this.closed) {
      job.fail(new WorkerFailure('unavailable', `${job.label}: the worker pool is stopped`));
      return;
    }
    const w = this.pick();
    if (w) this.sendTo(w, job);
    else if (this.sup.bootError && !this.sup.workers.some((x) => x.dispatchable)) {
      // workers keep failing to boot: answer now rather than after the next backoff
      job.fail(
        new WorkerFailure(
          'unavailable',
          `${job.label}: no worker is running: ${this.sup.bootError.message}`,
        ),
      );
    } else this.queue.push(job);
  }

  /**
   * The booted worker with the fewest jobs on its pipe, if one has room; one whose running job
   * has not stalled first (a stalled one still takes jobs when no other can: on a busy machine a
   * worker off the CPU for a while looks stalled too, and queuing must not stop then).
   */
  private pick(): Worker | null {
    let best: Worker | null = null;
    let bestStalled = false;
    let now = -1;
    for (const w of this.sup.workers) {
      if (w.inFlight >= this.maxInFlight || !w.dispatchable) continue;
      let stalled = false;
      if (w.inFlight > 0) {
        if (now < 0) now = this.clock.now();
        stalled = w.stalled(now, this.stallMs);
      }
      if (
        best === null ||
        (bestStalled && !stalled) ||
        (bestStalled === stalled && w.inFlight < best.inFlight)
      ) {
        best = w;
        bestStalled = stalled;
        if (w.inFlight === 0) break;
      }
    }
    return best;
  }

  /** Jobs queued behind a stalled job are asked back while some other worker could run them. */
  private rebalance(): void {
    const workers = this.sup.workers;
    if (!workers.some((w) => w.jobs.length > 1)) {
      this.stopRebalance?.();
      this.stopRebalance = null;
      return;
    }
    if (workers.length < 2 && !this.successor) return;
    const now = this.clock.now();
    for (const w of workers) {
      if (w.jobs.length < 2 || w.releasing || !w.stalled(now, this.stallMs)) continue;
      const elsewhere =
        this.successor !== null ||
        workers.some(
          (x) =>
            x !== w &&
            x.dispatchable &&
            x.inFlight < this.maxInFlight &&
            !x.stalled(now, this.stallMs),
        );
      if (elsewhere && w.release())
        this.log(
          'DEBUG',
          `worker ${w.id}: ${w.jobs[0]!.label} runs long; moving the jobs behind it`,
          w.id,
        );
    }
  }

  /** move queued jobs onto pipes that have room */
  private pump(): void {
    while (this.queue.length > 0) {
      const w = this.pick();
      if (!w) return;
      const job = this.queue.shift()!;
      if (!job.ended) this.sendTo(w, job);
    }
  }

  private sendTo(w: Worker, job: Job): void {
    if (job instanceof RunJob) job.on = w;
    w.send(job);
    // An idle server wakes for nothing: the look for stalls starts with the first job that
    // waits behind another (20 wake-ups a second were a third of an idle server's CPU).
    if (w.jobs.length > 1 && !this.stopRebalance && !this.closed)
      this.stopRebalance = this.clock.every(Math.max(10, this.stallMs / 2), () => this.rebalance());
  }

  /** jobs that never started (their worker died, or gave them back): first in line again */
  private requeue(jobs: Job[]): void {
    for (const job of jobs) if (job instanceof RunJob) job.on = null;
    if (this.successor) {
      this.forward(jobs);
      return;
    }
    this.queue.unshift(...jobs);
    this.pump();
  }

  private forward(jobs: Job[]): void {
    for (const job of jobs) if (!job.ended) this.successor!.submit(job);
  }

  private failQueued(reason: string): void {
    for (const job of this.queue.splice(0))
      job.fail(new WorkerFailure('unavailable', `${job.label}: ${reason}`));
  }

  private noteTags(w: Worker): void {
    const tags = w.ready?.tags;
    if (!tags) return;
    if (this.tags && this.tags.length === tags.length && this.tags.every((t, i) => t === tags[i]))
      return;
    this.tags = [...tags];
    this.emit('tags', this.tags);
  }

  /** a run that followed another was refused by its worker */
  noteRefused(): void {
    this.refused++;
  }

  log(level: LogMsg['level'], msg: string, worker?: number, about?: LogSubject): void {
    this.opts.log?.(level, msg, worker);
    if (this.listenerCount('log') > 0) this.emit('log', level, msg, worker, about);
  }

  // ------------------------------------------------------------ calls from workers

  answerSource(w: Worker, cid: number, path: string): void {
    let p: Promise<CompiledSource | LocatedError>;
    try {
      p = this.opts.sources(path);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (r) =>
        reply(
          w,
          'py' in r
            ? { t: 'reply', to: cid, ok: true, source: r }
            : { t: 'reply', to: cid, ok: false, error: r },
        ),
      (err: unknown) =>
        reply(w, {
          t: 'reply',
          to: cid,
          ok: false,
          error: { message: errorText(err, `compiling ${path}`) },
        }),
    );
  }
}
