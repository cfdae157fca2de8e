/**
 * Test doubles for the OS side of the pool (gunicorn's tests mock fork and waitpid the same way):
 * a clock whose time only moves when told, and a spawner whose "processes" are scripted by the
 * test. The supervisor and pool under test are the real ones.
 */
import { defaultConfig, toWorkerConfig } from '../../src/engine/config/index.js';
import type {
  ChildHandle,
  ExitListener,
  SpawnSpec,
  Spawner,
} from '../../src/engine/runtime/child.js';
import { encodeFrame, FrameDecoder, type FrameHeader } from '../../src/engine/runtime/framing.js';
import type { FromWorker, ToWorker, WorkerConfig } from '../../src/engine/runtime/protocol.js';
import type { LoopClock } from '../../src/engine/runtime/supervisor.js';

export class FakeClock implements LoopClock {
  t = 1000;
  private timers: { ms: number; fn: () => void; next: number }[] = [];
  private soonQ: (() => void)[] = [];

  now(): number {
    return this.t;
  }
  every(ms: number, fn: () => void): () => void {
    const timer = { ms, fn, next: this.t + ms };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }
  soon(fn: () => void): void {
    this.soonQ.push(fn);
  }
  get timerCount(): number {
    return this.timers.length;
  }
  /** runs everything scheduled with soon(), and promise callbacks in between */
  async flush(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setImmediate(r));
      if (this.soonQ.length === 0) {
        await new Promise((r) => setImmediate(r));
        if (this.soonQ.length === 0) return;
      }
      while (this.soonQ.length > 0) this.soonQ.shift()!();
    }
  }
  /** moves time forward, firing interval timers at their due times */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x.next <= end).sort((a, b) => a.next - b.next)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.next);
      due.next += due.ms;
      due.fn();
      await this.flush();
    }
    this.t = end;
    await this.flush();
  }
}

export class FakeChild implements ChildHandle {
  readonly received: (ToWorker & { b?: number[] })[] = [];
  readonly receivedBlobs: Buffer[][] = [];
  readonly signals: NodeJS.Signals[] = [];
  ended = false;
  exited = false;
  /** SIGTERM is ignored unless this is set (a servlet stuck in C code ignores it too) */
  obeysTerm = false;
  private dataL: ((chunk: Buffer) => void) | null = null;
  private outL: ((s: 'stdout' | 'stderr', line: string) => void) | null = null;
  private exitL: ExitListener | null = null;
  private readonly decoder = new FrameDecoder<ToWorker>((h, b) => {
    this.received.push(h);
    this.receivedBlobs.push(b.map((x) => Buffer.from(x)));
  });

  constructor(
    readonly pid: number,
    readonly spec: SpawnSpec,
  ) {}

  write(frame: Buffer): void {
    if (this.exited) return;
    this.decoder.push(frame);
  }
  end(): void {
    this.ended = true;
  }
  kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    this.signals.push(signal);
    if (signal === 'SIGKILL' || this.obeysTerm) this.exit(null, signal);
  }
  onData(listener: (chunk: Buffer) => void): void {
    this.dataL = listener;
  }
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void {
    this.outL = listener;
  }
  onExit(listener: ExitListener): void {
    this.exitL = listener;
  }

  // ---- the script: what the "worker" does
  send(msg: FromWorker, blobs?: Buffer[]): void {
    this.raw(encodeFrame(msg as FrameHeader, blobs));
  }
  raw(bytes: Buffer): void {
    this.dataL!(bytes);
  }
  print(stream: 'stdout' | 'stderr', line: string): void {
    this.outL!(stream, line);
  }
  ready(tags: string[] = ['Box']): void {
    this.send({
      t: 'ready',
      pid: this.pid,
      python: '3.11.7',
      tags,
      plugins: ['request', 'session'],
      issues: [],
    });
  }
  exit(code: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.exited) return;
    this.exited = true;
    this.exitL!(code, signal);
  }
  /** ids of the jobs written to this worker, in order */
  jobIds(): number[] {
    return this.received
      .filter((m) => m.t === 'req' || m.t === 'check' || m.t === 'admin')
      .map((m) => (m as { id: number }).id);
  }
  /** answers job `id` with a plain 200 */
  res(id: number, body = `ok ${id}`): void {
    this.send(
      {
        t: 'res',
        id,
        status: 200,
        headers: [['Content-Type', 'text/plain']],
        body: 0,
      },
      [Buffer.from(body)],
    );
  }
  has(t: ToWorker['t']): boolean {
    return this.received.some((m) => m.t === t);
  }
}

export class FakeSpawner {
  readonly children: FakeChild[] = [];
  private nextPid = 100;
  /** called for each new child, e.g. to make it ready at once */
  onSpawn: ((c: FakeChild) => void) | null = null;
  readonly spawn: Spawner = (spec) => {
    const c = new FakeChild(this.nextPid++, spec);
    this.children.push(c);
    queueMicrotask(() => this.onSpawn?.(c));
    return c;
  };
  alive(): FakeChild[] {
    return this.children.filter((c) => !c.exited);
  }
}

export const workerConfig: WorkerConfig = toWorkerConfig(defaultConfig('/app'));
