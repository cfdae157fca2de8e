/**
 * One worker process: its pipes, its frame decoder, and the FIFO of jobs written to its pipe.
 * The head of the FIFO is the job the worker is running; the rest have not started. This class
 * records facts (booted, lastBeat, served…); the supervisor decides what to do about them.
 */
import type { ChildHandle } from './child.js';
import { encodeFrame, FrameDecoder } from './framing.js';
import type { Job } from './job.js';
import type { FatalMsg, FromWorker, LogMsg, ReadyMsg, ToWorker } from './protocol.js';

export interface Clock {
  /** monotonic milliseconds */
  now(): number;
}

export type WorkerState = 'booting' | 'ready' | 'exited';

/** How a worker reports to its owner. Lifecycle calls only record; job calls run at once. */
export interface WorkerListener {
  onReady(w: Worker, msg: ReadyMsg): void;
  onFatal(w: Worker, msg: FatalMsg): void;
  onExit(w: Worker): void;
  onOutput(w: Worker, stream: 'stdout' | 'stderr', line: string): void;
  /** a `log` message that belongs to no job */
  onLog(w: Worker, msg: LogMsg): void;
  /** the head job finished: there is room on the pipe */
  onJobDone(w: Worker): void;
  /** the worker broke the protocol; it has been killed */
  onBroken(w: Worker, why: string): void;
  /** jobs the worker gave back unstarted (after `release`): run them elsewhere */
  onReleased(w: Worker, jobs: Job[]): void;
}

export class Worker {
  readonly pid: number;
  readonly startedAt: number;
  state: WorkerState = 'booting';
  booted = false;
  /** a timeout was declared: SIGTERM sent, SIGKILL follows on a later pass */
  aborted = false;
  abortedAt = 0;
  /** `stop` sent: finishes its pipe, takes no new job */
  retiring = false;
  retiredAt = 0;
  /** served its quota: keeps serving until a replacement has booted, then retires */
  replaceMe = false;
  lastBeat: number;
  served = 0;
  /** recycle after this many requests (Infinity: never) */
  maxServed = Infinity;
  /** when the head job started (the end of the job before it) */
  runningSince = 0;
  /** a `release` is on its way: no second one until it is answered */
  releasing = false;
  readonly jobs: Job[] = [];
  ready: ReadyMsg | null = null;
  fatal: FatalMsg | null = null;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** why we killed it, if we did */
  killReason: string | null = null;

  private readonly decoder: FrameDecoder<FromWorker>;

  constructor(
    readonly id: number,
    readonly generation: number,
    private readonly child: ChildHandle,
    private readonly clock: Clock,
    private readonly listener: WorkerListener,
  ) {
    this.pid = child.pid;
    this.startedAt = clock.now();
    this.lastBeat = this.startedAt;
    this.decoder = new FrameDecoder<FromWorker>(
      (h, b) => this.deliver(h, b),
      undefined,
      `pipe of worker ${id}`,
    );
    child.onData((chunk) => {
      if (this.state === 'exited') return;
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.broken((err as Error).message);
      }
    });
    child.onOutput((stream, line) => listener.onOutput(this, stream, line));
    child.onExit((code, signal) => {
      this.state = 'exited';
      this.exitCode = code;
      this.exitSignal = signal;
      listener.onExit(this);
    });
  }

  get inFlight(): number {
    return this.jobs.length;
  }

  /** can take a new job now */
  get dispatchable(): boolean {
    return this.state === 'ready' && !this.retiring && !this.aborted;
  }

  send(job: Job): void {
    if (this.jobs.push(job) === 1) this.runningSince = this.clock.now();
    this.child.write(job.frame, job.urgent);
  }

  write(msg: ToWorker, blobs?: readonly Buffer[]): void {
    if (this.state !== 'exited') this.child.write(encodeFrame(msg, blobs));
  }

  /** Asks the worker to give back the jobs behind its head that have not started. */
  release(): boolean {
    if (this.releasing || this.state !== 'ready' || this.aborted || this.jobs.length < 2)
      return false;
    const ids: number[] = [];
    for (let i = 1; i < this.jobs.length; i++) {
      const job = this.jobs[i]!;
      if (!job.ended && !job.pinned) ids.push(job.id);
    }
    if (ids.length === 0) return false;
    this.releasing = true;
    this.write({ t: 'release', ids });
    return true;
  }

  /** Asks the worker to give back one job, if it has not started it (a withdrawn request). */
  releaseOne(job: Job): void {
    if (this.state === 'ready' && !this.aborted && this.jobs.includes(job))
      this.write({ t: 'release', ids: [job.id] });
  }

  /** whether the head job has run longer than `ms` (a job queued behind it would wait) */
  stalled(now: number, ms: number): boolean {
    return this.jobs.length > 0 && now - this.runningSince > ms;
  }

  /** graceful: the worker finishes what is on its pipe, then exits */
  retire(): void {
    if (this.retiring || this.state === 'exited') return;
    this.retiring = true;
    this.retiredAt = this.clock.now();
    this.write({ t: 'stop' });
  }

  kill(signal: NodeJS.Signals, reason?: string): void {
    if (reason && !this.killReason) this.killReason = reason;
    if (this.state !== 'exited') this.child.kill(signal);
  }

  private broken(why: string): void {
    this.aborted = true; // no new job until it is reaped
    this.abortedAt = this.clock.now();
    this.kill('SIGKILL', why);
    this.listener.onBroken(this, why);
  }

  /** An exception from a job's handler (the HTTP layer, a hook) must not lose the rest of the pipe. */
  private deliver(msg: FromWorker, blobs: Buffer[]): void {
    try {
      this.onFrame(msg, blobs);
    } catch (err) {
      const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
      this.listener.onLog(this, {
        t: 'log',
        level: 'ERROR',
        msg: `handling a "${msg.t}" from worker ${this.id} failed: ${text}`,
      });
    }
  }

  private onFrame(msg: FromWorker, blobs: Buffer[]): void {
    const now = this.clock.now();
    this.lastBeat = now;
    switch (msg.t) {
      case 'beat':
        return;
      case 'released': {
        this.releasing = false;
        // the worker's word: these never started there (the head may be one, if the job before
        // it ended meanwhile)
        const ids = new Set(msg.ids);
        const given: Job[] = [];
        for (let i = this.jobs.length - 1; i >= 0; i--) {
          if (ids.has(this.jobs[i]!.id)) given.unshift(...this.jobs.splice(i, 1));
        }
        // runningSince stays: it is when the job before the new head ended
        if (given.length > 0) this.listener.onReleased(this, given);
        return;
      }
      case 'res':
      case 'done': {
        const head = this.jobs[0];
        if (!head || head.id !== msg.id) {
          this.broken(
            `"${msg.t}" for job ${msg.id}, but the running job is ${head ? head.id : 'none'}`,
          );
          return;
        }
        this.jobs.shift();
        if (msg.t === 'res') this.served++;
        this.runningSince = now;
        if (!head.ended) head.finish(this, msg, blobs);
        this.listener.onJobDone(this);
        return;
      }
      case 'call':
      case 'chunk':
      case 'log': {
        const job = msg.t === 'log' && msg.job === undefined ? undefined : this.find(msg.job!);
        if (job) {
          if (!job.ended) job.message(this, msg, blobs);
        } else if (msg.t === 'log') {
          this.listener.onLog(this, msg);
        } else {
          this.broken(`"${msg.t}" for job ${msg.job}, which is not on this worker`);
        }
        return;
      }
      case 'ready':
        if (this.state !== 'booting') return this.broken('a second "ready"');
        this.state = 'ready';
        this.booted = true;
        this.ready = msg;
        this.listener.onReady(this, msg);
        return;
      case 'fatal':
        this.fatal = msg;
        this.listener.onFatal(this, msg);
        return;
      default:
        this.broken(`unknown message type "${(msg as { t: string }).t}"`);
    }
  }

  private find(id: number): Job | undefined {
    const head = this.jobs[0];
    if (head && head.id === id) return head;
    return this.jobs.find((j) => j.id === id);
  }
}
