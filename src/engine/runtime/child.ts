/**
 * The OS boundary of the pool: starting one worker process and the five pipes it gets. Everything
 * above this file talks to a `ChildHandle`, so the supervisor is tested with a fake spawner.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

export interface SpawnSpec {
  python: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export type ExitListener = (code: number | null, signal: NodeJS.Signals | null) => void;

/** One running worker process as the pool sees it. */
export interface ChildHandle {
  /** 0 when the process could not be started (an `exit` follows) */
  readonly pid: number;
  /** write to fd 3 (Node → Python): with the turn's other frames, or with `now`, at once */
  write(frame: Buffer, now?: boolean): void;
  /** close fd 3: the worker sees EOF and exits */
  end(): void;
  kill(signal: NodeJS.Signals): void;
  onData(listener: (chunk: Buffer) => void): void;
  onOutput(listener: (stream: 'stdout' | 'stderr', line: string) => void): void;
  /** once, after every byte the worker wrote on fd 4 has been delivered to `onData` */
  onExit(listener: ExitListener): void;
}

export type Spawner = (spec: SpawnSpec) => ChildHandle;

/** After the process exits, how long we wait for the rest of fd 4 (a grandchild may hold it open). */
const DRAIN_GRACE_MS = 200;

export const spawnChild: Spawner = (spec) => {
  const proc = spawn(spec.python, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'],
    windowsHide: true,
  });
  const toWorker = proc.stdio[3] as Writable;
  const fromWorker = proc.stdio[4] as Readable;
  const swallow = (): void => {}; // EPIPE after a crash: the exit event tells the story
  toWorker.on('error', swallow);
  fromWorker.on('error', swallow);
  proc.stdout!.on('error', swallow);
  proc.stderr!.on('error', swallow);

  let exitListener: ExitListener | null = null;
  let exited: [number | null, NodeJS.Signals | null] | null = null;
  let drained = false;
  let reported = false;
  const report = (): void => {
    if (reported || !exited || !exitListener) return;
    reported = true;
    exitListener(exited[0], exited[1]);
  };
  fromWorker.once('close', () => {
    drained = true;
    report();
  });
  proc.once('exit', (code, signal) => {
    exited = [code, signal];
    if (drained) report();
    else setTimeout(report, DRAIN_GRACE_MS).unref();
  });
  // Frames written in one event-loop turn (a burst of requests, replies to calls) leave in one
  // write after the I/O phase: one syscall and one wake-up of the worker, not one each. They are
  // gathered here rather than by cork(): the stream would keep a request object and a callback
  // per frame and hand them to a writev; one concatenated Buffer is one plain write.
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const flush = (): void => {
    const frames = batch;
    if (frames.length === 0) return;
    batch = [];
    const bytes = batchBytes;
    batchBytes = 0;
    if (toWorker.writable) writeFrames(toWorker, frames, bytes);
  };
  let outputListener: ((stream: 'stdout' | 'stderr', line: string) => void) | null = null;
  proc.once('error', (err) => {
    // spawn failure (the interpreter was removed since it was resolved): no 'exit' will come
    if (proc.pid === undefined && !exited) {
      outputListener?.('stderr', `cannot start ${spec.python}: ${err.message}`);
      exited = [127, null];
      drained = true;
      queueMicrotask(report);
    }
  });

  return {
    pid: proc.pid ?? 0,
    write(frame, now) {
      if (!toWorker.writable) return;
      if (batch.push(frame) === 1 && !now) setImmediate(flush);
      batchBytes += frame.length;
      if (now) flush();
    },
    end() {
      flush(); // what was written before end() still goes first
      if (toWorker.writable) toWorker.end();
    },
    kill(signal) {
      if (!exited) proc.kill(signal);
    },
    onData(listener) {
      fromWorker.on('data', listener);
    },
    onOutput(listener) {
      outputListener = listener;
      lines(proc.stdout!, (line) => listener('stdout', line));
      lines(proc.stderr!, (line) => listener('stderr', line));
    },
    onExit(listener) {
      exitListener = listener;
      report();
    },
  };
};

/** Above this, frames are not copied into one Buffer (a big upload or preview): a writev. */
const CONCAT_MAX_BYTES = 64 * 1024;

function writeFrames(out: Writable, frames: Buffer[], bytes: number): void {
  if (frames.length === 1) out.write(frames[0]!);
  else if (bytes <= CONCAT_MAX_BYTES) out.write(Buffer.concat(frames, bytes));
  else {
    out.cork();
    for (const f of frames) out.write(f);
    out.uncork();
  }
}

function lines(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (text: string) => {
    const parts = (rest + text).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
    rest = '';
  });
}
