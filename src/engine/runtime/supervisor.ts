/**
 * The supervisor: one loop that keeps the right number of healthy workers (gunicorn's arbiter,
 * event-driven). Process events only enqueue; each pass drains them, then runs
 * checkTimeouts → reap → topUp. All changes to the worker table happen in a pass.
 */
import path from 'node:path';
import { formatLocated } from '../../common/types/located.js';
import type { Spawner } from './child.js';
import { WorkerFailure, type Job } from './job.js';
import {
  EXIT_BOOT_FAILED,
  EXIT_PARENT_GONE,
  type FatalMsg,
  type LocatedError,
  type LogMsg,
  type ReadyMsg,
  type WorkerConfig,
} from './protocol.js';
import { Worker, type Clock, type WorkerListener } from './worker.js';

/** The clock and timers of the loop; tests pass a fake one. */
export interface LoopClock extends Clock {
  every(ms: number, fn: () => void): () => void;
  /** run `fn` soon, after the current event */
  soon(fn: () => void): void;
}

export const systemClock: LoopClock = {
  now: () => performance.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
  soon: (fn) => void setImmediate(fn),
};

export interface SupervisorOptions {
  spawn: Spawner;
  clock: LoopClock;
  python: string;
  /** pse_boot.py */
  bootScript: string;
  appRoot: string;
  config: WorkerConfig;
  workers: number;
  requestTimeoutMs: number;
  /** a booted worker silent this long is killed (beats come every second); default 10 s */
  heartbeatTimeoutMs?: number;
  /** a worker not ready this long after spawn is killed; default 30 s */
  bootTimeoutMs?: number;
  /** recycle a worker after this many requests (plus jitter) */
  maxRequests?: number;
  /** default maxRequests / 10 */
  maxRequestsJitter?: number;
  random?: () => number;
  /** default 250 ms */
  tickMs?: number;
  /** after a failed boot, wait base·2ⁿ up to max before the next spawn; default 500 ms, 30 s */
  backoffMs?: { base: number; max: number };
  /** a retiring worker with an empty pipe that has not exited after this long is killed; default 5 s */
  retireGraceMs?: number;
  env?: NodeJS.ProcessEnv;
}

export type LogLevel = LogMsg['level'];

export interface ExitInfo {
  id: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  booted: boolean;
  /** a sentence: why it ended */
  reason: string;
  /** whether the supervisor expected it (retired, stopped) */
  expected: boolean;
}

/** What the supervisor needs from the pool above it. */
export interface SupervisorHost {
  /** a worker can take jobs (it just booted) */
  capacity(w: Worker): void;
  /** a worker finished a job (hot path: called at once, not from the loop) */
  room(w: Worker): void;
  /** jobs that were on a worker's pipe but never started (it died, or gave them back): run them elsewhere */
  orphaned(jobs: Job[]): void;
  /** no worker is able to run anything: fail what waits */
  unavailable(reason: string): void;
  spawned(w: Worker): void;
  exited(info: ExitInfo): void;
  log(level: LogLevel, msg: string, worker?: number): void;
}

export class BootError extends Error {
  constructor(
    message: string,
    readonly issues: LocatedError[] = [],
  ) {
    super(message);
    this.name = 'BootError';
  }
}

type LoopEvent =
  | { kind: 'ready'; w: Worker }
  | { kind: 'fatal'; w: Worker; msg: FatalMsg }
  | { kind: 'exit'; w: Worker }
  | { kind: 'broken'; w: Worker; why: string };

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
}

const BOOT_TAIL_LINES = 20;

export class Supervisor {
  readonly workers: Worker[] = [];
  private readonly events: LoopEvent[] = [];
  private passQueued = false;
  private cancelTimer: (() => void) | null = null;
  private seq = 0;
  private generation = 0;
  private bootFailures = 0;
  private nextSpawnAt = 0;
  private lastBootError: BootError | null = null;
  private everBooted = false;
  private stopping = false;
  private stopDeadline = Infinity;
  private starting: Waiter | null = null;
  private restarting: Waiter[] = [];
  private stopped: Waiter[] = [];
  private readonly tails = new Map<Worker, string[]>();
  private readonly listener: WorkerListener;
  private readonly o: Required<Omit<SupervisorOptions, 'maxRequests' | 'env'>> &
    Pick<SupervisorOptions, 'maxRequests' | 'env'>;
  /** the `ready` of the newest booted worker: tags, plugins, issues */
  lastReady: ReadyMsg | null = null;

  constructor(
    opts: SupervisorOptions,
    private readonly host: SupervisorHost,
  ) {
    if (!(opts.workers >= 1))
      throw new RangeError(`workers must be at least 1 (got ${opts.workers})`);
    this.o = {
      heartbeatTimeoutMs: 10_000,
      bootTimeoutMs: 30_000,
      maxRequestsJitter: Math.floor((opts.maxRequests ?? 0) / 10),
      random: Math.random,
      tickMs: 250,
      backoffMs: { base: 500, max: 30_000 },
      retireGraceMs: 5_000,
      ...opts,
      // RequestTimeout 0 switches the deadline off (heartbeats still catch a hung worker)
      requestTimeoutMs: opts.requestTimeoutMs > 0 ? opts.requestTimeoutMs : Infinity,
    };
    const enqueue = (e: LoopEvent): void => {
      this.events.push(e);
      this.kick();
    };
    this.listener = {
      onReady: (w) => enqueue({ kind: 'ready', w }),
      onFatal: (w, msg) => enqueue({ kind: 'fatal', w, msg }),
      onExit: (w) => enqueue({ kind: 'exit', w }),
      onBroken: (w, why) => enqueue({ kind: 'broken', w, why }),
      onReleased: (_w, jobs) => host.orphaned(jobs),
      onOutput: (w, stream, line) => {
        const tail = this.tails.get(w);
        if (tail) {
          tail.push(line);
          if (tail.length > BOOT_TAIL_LINES) tail.shift();
        }
        host.log(stream === 'stderr' ? 'WARNING' : 'NOTICE', line, w.id);
      },
      onLog: (w, msg) => host.log(msg.level, msg.msg, w.id),
      onJobDone: (w) => {
        if (w.served >= w.maxServed && !w.replaceMe && w.dispatchable) {
          w.replaceMe = true;
          host.log('INFO', `worker ${w.id} served ${w.served} requests: recycling it`, w.id);
          this.kick();
        }
        host.room(w);
      },
    };
  }

  get target(): number {
    return this.o.workers;
  }

  /** Spawns the workers; resolves when all are ready, rejects if the first boots fail. */
  start(): Promise<void> {
    if (this.cancelTimer) return Promise.reject(new Error('the worker pool is already started'));
    this.cancelTimer = this.o.clock.every(this.o.tickMs, () => this.pass());
    return new Promise<void>((resolve, reject) => {
      this.starting = { resolve, reject };
      this.pass();
    });
  }

  /** New workers replace the old ones, which finish what is on their pipes first. */
  restart(config?: WorkerConfig): Promise<void> {
    if (this.stopping) return Promise.reject(new Error('the worker pool is stopping'));
    if (config) this.o.config = config;
    this.generation++;
    this.bootFailures = 0;
    this.nextSpawnAt = 0;
    return new Promise<void>((resolve, reject) => {
      this.restarting.push({ resolve, reject });
      this.pass();
    });
  }

  /** Every worker finishes its pipe and exits; stragglers are killed after `graceMs`. */
  stop(graceMs: number): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      const deadline = this.o.clock.now() + graceMs;
      for (const w of this.workers) w.retire();
      this.stopDeadline = deadline;
      this.starting?.reject(new BootError('the worker pool was stopped while starting'));
      this.starting = null;
      for (const r of this.restarting.splice(0)) r.reject(new Error('the worker pool was stopped'));
    }
    return new Promise<void>((resolve, reject) => {
      this.stopped.push({ resolve, reject });
      this.pass();
    });
  }

  /** Schedules a pass; events only call this. */
  kick(): void {
    if (this.passQueued) return;
    this.passQueued = true;
    this.o.clock.soon(() => {
      this.passQueued = false;
      this.pass();
    });
  }

  /** One turn of the loop. */
  pass(): void {
    const now = this.o.clock.now();
    this.drainEvents();
    this.checkTimeouts(now);
    this.reap();
    this.topUp(now);
    this.settleWaiters();
  }

  private drainEvents(): void {
    while (this.events.length > 0) {
      const e = this.events.shift()!;
      switch (e.kind) {
        case 'ready':
          this.onBooted(e.w);
          break;
        case 'fatal':
          break; // reap() reports it with the exit
        case 'broken':
          this.host.log(
            'ERROR',
            `worker ${e.w.id} broke the protocol and was killed: ${e.why}`,
            e.w.id,
          );
          break;
        case 'exit':
          break; // reap() finds it by its state
      }
    }
  }

  private onBooted(w: Worker): void {
    if (w.state !== 'ready') return; // died before the pass
    this.tails.delete(w);
    this.everBooted = true;
    this.bootFailures = 0;
    this.lastBootError = null;
    this.lastReady = w.ready;
    this.host.log(
      'INFO',
      `worker ${w.id} (pid ${w.pid}) ready in ${Math.round(this.o.clock.now() - w.startedAt)} ms`,
      w.id,
    );
    if (this.stopping) {
      w.retire();
      return;
    }
    if (w.generation === this.generation) {
      // a new worker replaces the oldest one of an older generation, or one that served its quota
      const old = this.workers.find(
        (x) =>
          (x.generation < this.generation || x.replaceMe) &&
          x !== w &&
          !x.retiring &&
          x.state !== 'exited',
      );
      if (old) {
        this.host.log('INFO', `worker ${old.id} retires (replaced by worker ${w.id})`, old.id);
        old.retire();
      }
    }
    this.host.capacity(w);
  }

  private checkTimeouts(now: number): void {
    for (const w of this.workers) {
      if (w.state === 'exited') continue;
      if (w.aborted) {
        if (now - w.abortedAt >= this.o.tickMs) w.kill('SIGKILL');
        continue;
      }
      if (w.state === 'booting') {
        if (now - w.startedAt > this.o.bootTimeoutMs) {
          this.abort(
            w,
            now,
            `did not become ready within ${fmtMs(this.o.bootTimeoutMs)}`,
            'SIGKILL',
          );
        }
        continue;
      }
      const head = w.jobs[0];
      if (head && now - w.runningSince > this.o.requestTimeoutMs) {
        const why = `${head.label} ran longer than RequestTimeout (${fmtMs(this.o.requestTimeoutMs)}) on worker ${w.id}`;
        this.failHead(w, new WorkerFailure('timeout', why, w.id));
        this.abort(w, now, why, 'SIGTERM');
        continue;
      }
      if (now - w.lastBeat > this.o.heartbeatTimeoutMs) {
        const why = `worker ${w.id} sent no heartbeat for ${fmtMs(now - w.lastBeat)}`;
        if (head)
          this.failHead(w, new WorkerFailure('timeout', `${head.label} failed: ${why}`, w.id));
        this.abort(w, now, why, 'SIGTERM');
        continue;
      }
      if (this.stopping && now > this.stopDeadline) {
        const why = `worker ${w.id} did not stop in time`;
        if (head)
          this.failHead(w, new WorkerFailure('unavailable', `${head.label} failed: ${why}`, w.id));
        this.abort(w, now, why, 'SIGTERM');
        continue;
      }
      const idleSince = Math.max(w.retiredAt, w.runningSince);
      if (
        w.retiring &&
        !this.stopping &&
        w.jobs.length === 0 &&
        now - idleSince > this.o.retireGraceMs
      ) {
        this.abort(
          w,
          now,
          `worker ${w.id} was told to stop ${fmtMs(now - w.retiredAt)} ago`,
          'SIGTERM',
        );
      }
    }
  }

  private abort(w: Worker, now: number, why: string, signal: NodeJS.Signals): void {
    this.host.log('ERROR', `worker ${w.id} (pid ${w.pid}) aborted: ${why}`, w.id);
    w.aborted = true;
    w.abortedAt = now;
    w.kill(signal, why);
  }

  private failHead(w: Worker, failure: WorkerFailure): void {
    const head = w.jobs[0];
    if (head && !head.ended) head.fail(failure);
  }

  private reap(): void {
    for (let i = 0; i < this.workers.length; ) {
      const w = this.workers[i]!;
      if (w.state !== 'exited') {
        i++;
        continue;
      }
      this.workers.splice(i, 1);
      const tail = this.tails.get(w);
      this.tails.delete(w);
      const expected = (w.retiring || this.stopping) && w.exitCode === 0;
      const reason = explainExit(w);
      const info: ExitInfo = {
        id: w.id,
        pid: w.pid,
        code: w.exitCode,
        signal: w.exitSignal,
        booted: w.booted,
        reason,
        expected,
      };
      if (!w.booted) {
        this.bootFailed(w, reason, tail ?? []);
      } else if (!expected) {
        this.host.log(
          w.killReason ? 'WARNING' : 'ERROR',
          `worker ${w.id} (pid ${w.pid}) ${reason}`,
          w.id,
        );
      } else {
        this.host.log('INFO', `worker ${w.id} (pid ${w.pid}) ${reason}`, w.id);
      }
      const head = w.jobs[0];
      // timeouts failed their job before the kill; what is left here died under it
      if (head && !head.ended) {
        head.fail(
          new WorkerFailure('crash', `${head.label} failed: worker ${w.id} ${reason}`, w.id),
        );
      }
      const rest = w.jobs.slice(1).filter((j) => !j.ended);
      w.jobs.length = 0;
      this.host.exited(info);
      if (rest.length > 0) this.host.orphaned(rest);
    }
  }

  private bootFailed(w: Worker, reason: string, tail: string[]): void {
    const fatal = w.fatal;
    const issues = fatal?.issues ?? [];
    let message = fatal ? fatal.message : `worker ${w.id} ${reason} before it was ready`;
    if (!fatal && tail.length > 0) message += `:\n${tail.join('\n')}`;
    // the located issues, as compilers print them, so that the message alone says where
    for (const i of issues) message += `\n  ${formatLocated(i)}`;
    const err = new BootError(message, issues);
    this.lastBootError = err;
    if (this.stopping) return;
    if (this.starting && !this.everBooted) {
      this.host.log(
        'ERROR',
        `worker ${w.id} failed to boot; the pool cannot start: ${message}`,
        w.id,
      );
      const starting = this.starting;
      this.starting = null;
      this.halt();
      starting.reject(err);
      return;
    }
    this.bootFailures++;
    const delay = Math.min(
      this.o.backoffMs.base * 2 ** (this.bootFailures - 1),
      this.o.backoffMs.max,
    );
    this.nextSpawnAt = this.o.clock.now() + delay;
    this.host.log(
      'ERROR',
      `worker ${w.id} failed to boot (next try in ${fmtMs(delay)}): ${message}`,
      w.id,
    );
    if (w.generation === this.generation && this.restarting.length > 0) {
      for (const r of this.restarting.splice(0)) r.reject(err);
    }
    if (!this.workers.some((x) => x.dispatchable)) this.host.unavailable(message);
  }

  /** Boot failed at start: kill everything and stop the loop. */
  private halt(): void {
    this.stopping = true;
    this.stopDeadline = -Infinity;
    for (const x of this.workers) x.kill('SIGKILL', 'the pool failed to start');
  }

  private topUp(now: number): void {
    if (this.stopping) return;
    let live = 0;
    for (const w of this.workers) {
      if (
        w.generation === this.generation &&
        !w.retiring &&
        !w.aborted &&
        !w.replaceMe &&
        w.state !== 'exited'
      )
        live++;
    }
    while (live < this.o.workers && now >= this.nextSpawnAt) {
      this.spawnOne();
      live++;
    }
  }

  private spawnOne(): void {
    const id = ++this.seq;
    const child = this.o.spawn({
      python: this.o.python,
      args: ['-u', this.o.bootScript],
      cwd: this.o.appRoot,
      env: { ...(this.o.env ?? process.env), PSE_WORKER: '1' },
    });
    const w = new Worker(id, this.generation, child, this.o.clock, this.listener);
    if (this.o.maxRequests !== undefined && this.o.maxRequests > 0) {
      w.maxServed =
        this.o.maxRequests + Math.floor(this.o.random() * (this.o.maxRequestsJitter + 1));
    }
    this.workers.push(w);
    this.tails.set(w, []);
    w.write({ t: 'init', worker: id, appRoot: this.o.appRoot, config: this.o.config });
    this.host.log('DEBUG', `worker ${id} spawned (pid ${w.pid})`, id);
    this.host.spawned(w);
  }

  private settleWaiters(): void {
    if (this.starting) {
      const booted = this.workers.filter((w) => w.booted && w.state !== 'exited').length;
      if (booted >= this.o.workers || (booted > 0 && this.bootFailures > 0)) {
        this.starting.resolve();
        this.starting = null;
      }
    }
    if (this.restarting.length > 0) {
      const old = this.workers.some((w) => w.generation < this.generation);
      const fresh = this.workers.filter(
        (w) => w.generation === this.generation && w.booted && w.state !== 'exited',
      ).length;
      if (!old && fresh >= this.o.workers) for (const r of this.restarting.splice(0)) r.resolve();
    }
    if (this.stopping && this.workers.length === 0) {
      this.cancelTimer?.();
      this.cancelTimer = null;
      for (const s of this.stopped.splice(0)) s.resolve();
    }
  }

  /** the reason the last boot failed, while no worker has booted since */
  get bootError(): BootError | null {
    return this.lastBootError;
  }
}

/** One sentence on how a worker ended, in gunicorn's spirit. */
export function explainExit(
  w: Pick<Worker, 'exitCode' | 'exitSignal' | 'killReason' | 'retiring'>,
): string {
  if (w.killReason) return `was killed (${w.killReason})`;
  if (w.exitSignal === 'SIGKILL') return 'was killed by SIGKILL (out of memory?)';
  if (w.exitSignal) return `died of ${w.exitSignal}`;
  if (w.exitCode === 0)
    return w.retiring ? 'exited after finishing its work' : 'exited unexpectedly (code 0)';
  if (w.exitCode === EXIT_BOOT_FAILED) return 'exited with code 3 (boot failed)';
  if (w.exitCode === EXIT_PARENT_GONE) return 'exited with code 4 (lost its parent)';
  return `exited with code ${w.exitCode ?? '?'}`;
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** where pse_boot.py lives, given the folder of the Python package */
export function bootScriptIn(pythonDir: string): string {
  return path.join(pythonDir, 'pse_boot.py');
}
