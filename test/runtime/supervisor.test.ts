import { afterEach, describe, expect, it } from 'vitest';
import {
  BootError,
  WorkerFailure,
  WorkerPool,
  type PoolOptions,
} from '../../src/engine/runtime/pool.js';
import type { RunInput, RunResult } from '../../src/engine/runtime/run.js';
import type { ExitInfo } from '../../src/engine/runtime/supervisor.js';
import { FakeClock, FakeSpawner, type FakeChild, workerConfig } from './fakes.js';

const TIMEOUT = 2000;

interface Rig {
  pool: WorkerPool;
  clock: FakeClock;
  sp: FakeSpawner;
  logs: string[];
  exits: ExitInfo[];
}

let rigs: Rig[] = [];
afterEach(() => {
  rigs = [];
});

function rig(over: Partial<PoolOptions> = {}, autoReady = true): Rig {
  const clock = new FakeClock();
  const sp = new FakeSpawner();
  if (autoReady) sp.onSpawn = (c) => c.ready();
  const logs: string[] = [];
  const exits: ExitInfo[] = [];
  const pool = new WorkerPool({
    python: '/usr/bin/python3.11',
    workers: 2,
    appRoot: '/app',
    config: workerConfig,
    requestTimeoutMs: TIMEOUT,
    sources: async (p) => ({ py: `# ${p}`, map: [[1, 1, 1]], file: p }),
    log: (level, msg, w) => logs.push(`${level} ${w ?? '-'} ${msg}`),
    spawn: sp.spawn,
    clock,
    heartbeatTimeoutMs: 10_000,
    bootTimeoutMs: 5_000,
    tickMs: 250,
    backoffMs: { base: 500, max: 4000 },
    ...over,
  });
  pool.on('worker-exit', (i) => exits.push(i));
  const r = { pool, clock, sp, logs, exits };
  rigs.push(r);
  return r;
}

function input(path = '/app/a.pt'): RunInput {
  return {
    servlet: path,
    method: 'GET',
    url: '/a.pt',
    path: '/a.pt',
    query: '',
    headers: [['host', 'x']],
    remote: ['127.0.0.1', 5000],
    local: ['127.0.0.1', 8080],
    form: [],
    session: null,
    dry: false,
  };
}

/** a promise's outcome without awaiting forever */
function track<T>(p: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const s: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  p.then(
    (v) => Object.assign(s, { value: v, settled: true }),
    (e: unknown) => Object.assign(s, { error: e, settled: true }),
  );
  return s;
}

async function started(over: Partial<PoolOptions> = {}): Promise<Rig> {
  const r = rig(over);
  const s = r.pool.start();
  await r.clock.flush();
  await s;
  return r;
}

const lastJob = (c: FakeChild): number => c.jobIds().at(-1)!;

describe('supervisor (fake processes, fake clock)', () => {
  it('spawns the workers with fd 3/4 spec and an init frame, and start() reports the first ready', async () => {
    const r = rig();
    const s = track(r.pool.start());
    await r.clock.flush();
    expect(s.settled).toBe(true);
    expect(s.value).toEqual({
      python: '3.11.7',
      tags: ['Box'],
      plugins: ['request', 'session'],
      issues: [],
    });
    expect(r.sp.children).toHaveLength(2);
    const c = r.sp.children[0]!;
    expect(c.spec.python).toBe('/usr/bin/python3.11');
    expect(c.spec.args[0]).toBe('-u');
    expect(c.spec.args[1]).toMatch(/src\/engine\/python\/pse_boot\.py$/);
    expect(c.spec.env['PSE_WORKER']).toBe('1');
    expect(c.spec.cwd).toBe('/app');
    expect(c.received[0]).toEqual({ t: 'init', worker: 1, appRoot: '/app', config: workerConfig });
  });

  it('dispatches to the least-loaded worker, at most maxInFlight per pipe, then queues in the pool', async () => {
    const r = await started({ maxInFlight: 2 });
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const runs = Array.from({ length: 6 }, () => track(r.pool.run(input())));
    await r.clock.flush();
    expect(a.jobIds()).toHaveLength(2);
    expect(b.jobIds()).toHaveLength(2);
    expect(r.pool.stats().queued).toBe(2);
    a.res(a.jobIds()[0]!);
    await r.clock.flush();
    expect(a.jobIds()).toHaveLength(3); // the freed slot took the oldest queued job
    expect(r.pool.stats().queued).toBe(1);
    const first = runs[0]!;
    expect((first.value as RunResult).body.toString()).toBe(`ok ${a.jobIds()[0]}`);
    expect((first.value as RunResult).worker).toBe(1);
  });

  it('answers source calls, routes logs and chunks to the hooks, and survives a throwing hook', async () => {
    const r = await started({ workers: 1 });
    const a = r.sp.children[0]!;
    const logged: string[] = [];
    const run = track(
      r.pool.run(input(), {
        onLog: (level, msg) => logged.push(`${level} ${msg}`),
        onChunk: () => {
          throw new Error('response already closed');
        },
      }),
    );
    await r.clock.flush();
    const id = a.jobIds()[0]!;
    a.send({ t: 'call', cid: 1, job: id, op: 'source', path: '/app/inc.pt' });
    await r.clock.flush();
    expect(a.received.at(-1)).toEqual({
      t: 'reply',
      to: 1,
      ok: true,
      source: { py: '# /app/inc.pt', map: [[1, 1, 1]], file: '/app/inc.pt' },
    });
    a.send({ t: 'log', job: id, level: 'NOTICE', msg: 'hello from the servlet' });
    a.send({ t: 'chunk', job: id, head: { status: 200, headers: [] }, data: 0 }, [
      Buffer.from('part'),
    ]);
    a.res(id);
    await r.clock.flush();
    expect(logged).toEqual(['NOTICE hello from the servlet']);
    expect(r.logs.some((l) => /ERROR 1 handling a "chunk" .*response already closed/.test(l))).toBe(
      true,
    );
    expect(run.value?.body.toString()).toBe(`ok ${id}`);
    expect(a.signals).toEqual([]);
  });

  it('a request over RequestTimeout fails as timeout: SIGTERM + aborted, SIGKILL on a later pass, jobs behind it re-run', async () => {
    const r = await started();
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const slow = track(r.pool.run(input('/app/slow.pt')));
    const other = track(r.pool.run(input()));
    await r.clock.flush();
    // both workers busy; two more go behind them on the pipes
    const behind = [track(r.pool.run(input())), track(r.pool.run(input()))];
    await r.clock.flush();
    const slowId = a.jobIds()[0]!;
    const queuedOnA = a.jobIds().slice(1);
    expect(queuedOnA).toHaveLength(1);
    b.res(b.jobIds()[0]!);
    b.res(b.jobIds()[1]!);
    await r.clock.advance(TIMEOUT + 300);
    expect(slow.error).toBeInstanceOf(WorkerFailure);
    expect((slow.error as WorkerFailure).kind).toBe('timeout');
    expect((slow.error as WorkerFailure).message).toMatch(
      /GET \/a.pt ran longer than RequestTimeout \(2 s\) on worker 1/,
    );
    expect(a.signals).toEqual(['SIGTERM']); // not yet killed: it ignores TERM
    expect(other.settled && behind[1]!.settled).toBe(true);
    expect(behind[0]!.settled).toBe(false);
    await r.clock.advance(300);
    expect(a.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(a.exited).toBe(true);
    // the job that was behind the slow one never started: it went to the other worker
    expect(b.jobIds()).toContain(queuedOnA[0]);
    expect(slowId).not.toBe(queuedOnA[0]);
    b.res(queuedOnA[0]!);
    await r.clock.flush();
    expect(behind.every((x) => x.settled && x.value)).toBe(true);
    // and a replacement was spawned
    expect(r.sp.alive()).toHaveLength(2);
    expect(r.exits.map((e) => e.id)).toEqual([1]);
    expect(r.exits[0]!.reason).toMatch(/ran longer than RequestTimeout/);
  });

  it('asks back the jobs queued behind a stalled one when another worker has room; only what did not start moves', async () => {
    const r = await started({ stallMs: 100 });
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const runs = Array.from({ length: 4 }, () => track(r.pool.run(input())));
    await r.clock.flush();
    const [slow, behind] = a.jobIds() as [number, number];
    expect(b.jobIds()).toHaveLength(2);
    for (const id of b.jobIds()) b.res(id);
    await r.clock.advance(150);
    // a's head has run 150 ms and b is free: a is asked for what waits behind it
    expect(a.received.filter((m) => m.t === 'release')).toEqual([{ t: 'release', ids: [behind] }]);
    await r.clock.advance(150);
    expect(a.received.filter((m) => m.t === 'release')).toHaveLength(1); // one at a time
    a.send({ t: 'released', ids: [behind] });
    await r.clock.flush();
    expect(b.jobIds().at(-1)).toBe(behind);
    // while stalled, a is the last choice for new jobs
    const later = track(r.pool.run(input()));
    await r.clock.flush();
    expect(b.jobIds().at(-1)).not.toBe(behind);
    expect(a.jobIds()).toEqual([slow, behind]);
    b.res(behind);
    b.res(b.jobIds().at(-1)!);
    a.res(slow);
    await r.clock.flush();
    expect([...runs, later].every((x) => x.settled && x.value)).toBe(true);
    expect((runs[2]!.value as RunResult).worker).toBe(2); // the released one: b ran it
  });

  it('looks for stalled jobs only while a job waits behind another: an idle pool sets no timer for it', async () => {
    const r = await started({ stallMs: 100 });
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const idle = r.clock.timerCount; // the supervisor's own pass
    const one = [track(r.pool.run(input())), track(r.pool.run(input()))];
    await r.clock.flush();
    expect(r.clock.timerCount).toBe(idle); // one job per pipe: nothing waits
    const more = [track(r.pool.run(input())), track(r.pool.run(input()))];
    await r.clock.flush();
    expect(r.clock.timerCount).toBe(idle + 1);
    for (const w of [a, b]) for (const id of w.jobIds()) w.res(id);
    await r.clock.advance(100);
    expect([...one, ...more].every((x) => x.settled && x.value)).toBe(true);
    expect(r.clock.timerCount).toBe(idle);
  });

  it('handOver(next): queued and late jobs run on the next pool, the pipes drain here, nothing fails', async () => {
    const old = await started({ maxInFlight: 1 });
    const next = await started();
    const runs = Array.from({ length: 4 }, () => track(old.pool.run(input())));
    await old.clock.flush();
    const [a, b] = old.sp.children as [FakeChild, FakeChild];
    const [c, d] = next.sp.children as [FakeChild, FakeChild];
    expect(old.pool.stats().queued).toBe(2);
    const done = track(old.pool.handOver(next.pool));
    await old.clock.flush();
    const moved = (): number[] => [...c.jobIds(), ...d.jobIds()];
    expect(moved()).toHaveLength(2);
    const late = track(old.pool.run(input()));
    expect(moved()).toHaveLength(3);
    expect(a.has('stop') && b.has('stop')).toBe(true);
    a.res(a.jobIds()[0]!);
    b.res(b.jobIds()[0]!);
    for (const id of c.jobIds()) c.res(id);
    for (const id of d.jobIds()) d.res(id);
    await old.clock.flush();
    await next.clock.flush();
    expect([...runs, late].every((x) => x.settled && x.value)).toBe(true);
    expect(done.settled).toBe(false); // until its workers are gone
    a.exit(0);
    b.exit(0);
    await old.clock.flush();
    expect(done.settled).toBe(true);
  });

  it('leaves a job the worker says had started where it is', async () => {
    const r = await started({ stallMs: 100 });
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const runs = Array.from({ length: 4 }, () => track(r.pool.run(input())));
    await r.clock.flush();
    const [first, second] = a.jobIds() as [number, number];
    for (const id of b.jobIds()) b.res(id);
    await r.clock.advance(150);
    a.res(first); // the first ended and the second started before the release was read
    a.send({ t: 'released', ids: [] });
    await r.clock.flush();
    expect(b.jobIds()).not.toContain(second);
    a.res(second);
    await r.clock.flush();
    expect(runs.every((x) => x.settled && x.value)).toBe(true);
    expect((runs[2]!.value as RunResult).worker).toBe(1);
  });

  it("a job's deadline starts when the job before it finished, not when it was queued", async () => {
    const r = await started({ workers: 1 });
    const a = r.sp.children[0]!;
    const one = track(r.pool.run(input()));
    const two = track(r.pool.run(input()));
    await r.clock.advance(TIMEOUT - 500);
    a.res(a.jobIds()[0]!);
    await r.clock.advance(TIMEOUT - 500); // 2×TIMEOUT−1000 since queued, TIMEOUT−500 since started
    a.res(a.jobIds()[1]!);
    await r.clock.flush();
    expect(one.value).toBeDefined();
    expect(two.value).toBeDefined();
    expect(a.signals).toEqual([]);
  });

  it('RequestTimeout 0 means no deadline: a long job on a worker that beats is left alone', async () => {
    const r = await started({ workers: 1, requestTimeoutMs: 0 });
    const a = r.sp.children[0]!;
    const run = track(r.pool.run(input()));
    for (let i = 0; i < 60; i++) {
      a.send({ t: 'beat' });
      await r.clock.advance(1000);
    }
    expect(a.signals).toEqual([]);
    a.res(a.jobIds()[0]!);
    await r.clock.flush();
    expect(run.value).toBeDefined();
  });

  it('a crash fails only the running job; the jobs queued behind it run on another worker; a worker is respawned', async () => {
    const r = await started({ maxInFlight: 4 });
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const runs = Array.from({ length: 6 }, () => track(r.pool.run(input())));
    await r.clock.flush();
    expect(a.jobIds()).toHaveLength(3);
    const [running, ...queued] = a.jobIds();
    a.print('stderr', 'Fatal Python error: Segmentation fault');
    a.exit(null, 'SIGSEGV');
    await r.clock.flush();
    const failed = runs.filter((x) => x.error);
    expect(failed).toHaveLength(1);
    const f = failed[0]!.error as WorkerFailure;
    expect(f.kind).toBe('crash');
    expect(f.worker).toBe(1);
    expect(f.message).toMatch(/worker 1 died of SIGSEGV/);
    // respawned; the queued jobs went to the other worker and the new one, the crashed one nowhere
    expect(r.sp.children).toHaveLength(3);
    const c = r.sp.children[2]!;
    expect([...b.jobIds(), ...c.jobIds()]).toEqual(expect.arrayContaining(queued));
    expect(running).toBeDefined();
    expect([...b.jobIds(), ...c.jobIds()]).not.toContain(running);
    for (const id of b.jobIds()) b.res(id);
    for (const id of r.sp.children[2]!.jobIds()) r.sp.children[2]!.res(id);
    await r.clock.flush();
    expect(runs.filter((x) => x.value)).toHaveLength(5);
    expect(r.logs.some((l) => l.includes('Segmentation fault'))).toBe(true);
  });

  it('explains a SIGKILL it did not send as a likely out-of-memory kill', async () => {
    const r = await started();
    const run = track(r.pool.run(input()));
    await r.clock.flush();
    const c = r.sp.children.find((x) => x.jobIds().length > 0)!;
    c.exit(null, 'SIGKILL');
    await r.clock.flush();
    expect((run.error as WorkerFailure).message).toMatch(/killed by SIGKILL \(out of memory\?\)/);
    expect(r.exits[0]!.expected).toBe(false);
  });

  it('a worker silent for longer than the heartbeat timeout is killed, while beats keep a quiet one alive', async () => {
    const r = await started({ heartbeatTimeoutMs: 3000 });
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    for (let i = 0; i < 3; i++) {
      b.send({ t: 'beat' });
      await r.clock.advance(1000);
    }
    expect(a.signals).toEqual([]);
    b.send({ t: 'beat' });
    await r.clock.advance(250);
    expect(a.signals).toEqual(['SIGTERM']);
    await r.clock.advance(250);
    expect(a.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(a.exited).toBe(true);
    expect(b.signals).toEqual([]);
    expect(r.logs.some((l) => /worker 1 sent no heartbeat for 3.\d s/.test(l))).toBe(true);
  });

  it('a protocol error from a worker kills it and fails its running job as a crash', async () => {
    const r = await started({ workers: 1 });
    const a = r.sp.children[0]!;
    const run = track(r.pool.run(input()));
    await r.clock.flush();
    a.raw(Buffer.from([5, 0, 0, 0, 1, 0, 0, 0, 0x7b]));
    await r.clock.flush();
    expect(a.signals).toEqual(['SIGKILL']);
    expect((run.error as WorkerFailure).kind).toBe('crash');
    expect((run.error as WorkerFailure).message).toMatch(/garbled frame on the pipe of worker 1/);
  });

  it('start() rejects with the fatal reason and its located issues when no worker can boot, and does not respawn', async () => {
    const r = rig({}, false);
    const issue = {
      stage: 'runtime' as const,
      file: '/app/plugins/broken.py',
      line: 3,
      col: 5,
      message: "NameError: name 'x' is not defined",
    };
    r.sp.onSpawn = (c) => {
      c.send({
        t: 'fatal',
        message: "plugin 'broken' failed to load: /app/plugins/broken.py line 3: NameError",
        issues: [issue],
      });
      c.exit(3);
    };
    const s = track(r.pool.start());
    await r.clock.flush();
    expect(s.error).toBeInstanceOf(BootError);
    expect((s.error as BootError).message).toMatch(/broken.py line 3/);
    expect((s.error as BootError).message).toContain(
      "\n  /app/plugins/broken.py:3:5: NameError: name 'x' is not defined",
    );
    expect((s.error as BootError).issues).toEqual([issue]);
    await r.clock.advance(60_000);
    expect(r.sp.children).toHaveLength(2); // the two of the first try, nothing since
    expect(r.sp.alive()).toHaveLength(0);
    expect(r.clock.timerCount).toBe(0);
  });

  it('start() reports the stderr of a worker that died before it could say why', async () => {
    const r = rig({ workers: 1 }, false);
    r.sp.onSpawn = (c) => {
      c.print('stderr', 'Traceback (most recent call last):');
      c.print('stderr', "ModuleNotFoundError: No module named 'pse._worker'");
      c.exit(1);
    };
    const s = track(r.pool.start());
    await r.clock.flush();
    expect((s.error as Error).message).toMatch(
      /worker 1 exited with code 1 before it was ready:\nTraceback[^]*No module named 'pse._worker'/,
    );
  });

  it('a worker that never says ready is killed after the boot timeout', async () => {
    const r = rig({ workers: 1 }, false);
    const s = track(r.pool.start());
    await r.clock.advance(5_300);
    expect(r.sp.children[0]!.signals).toEqual(['SIGKILL']);
    expect((s.error as Error).message).toMatch(/did not become ready within 5 s/);
  });

  it('after start, failed boots back off exponentially instead of respawning in a tight loop', async () => {
    const r = await started({ workers: 1 });
    let bootOk = false;
    r.sp.onSpawn = (c) => {
      if (bootOk) c.ready();
      else c.exit(3);
    };
    const spawnTimes: number[] = [];
    r.pool.on('worker-spawn', () => spawnTimes.push(r.clock.now()));
    const t0 = r.clock.now();
    r.sp.children[0]!.exit(1); // the booted worker dies; its replacements fail to boot
    await r.clock.flush();
    const queued = track(r.pool.run(input()));
    await r.clock.advance(8000);
    const gaps = spawnTimes.map((t, i) => t - (i === 0 ? t0 : spawnTimes[i - 1]!));
    expect(gaps[0]).toBe(0);
    // 500, 1000, 2000, 4000 (the max), each rounded up to the 250 ms tick
    expect(gaps.slice(1, 4)).toEqual([500, 1000, 2000]);
    expect(queued.error).toBeInstanceOf(WorkerFailure);
    expect((queued.error as WorkerFailure).kind).toBe('unavailable');
    const meanwhile = track(r.pool.run(input()));
    await r.clock.flush();
    expect((meanwhile.error as WorkerFailure).message).toMatch(
      /no worker is running: worker \d+ exited with code 3/,
    );
    bootOk = true;
    await r.clock.advance(4000);
    expect(r.sp.alive()).toHaveLength(1);
    const ok = track(r.pool.run(input()));
    await r.clock.flush();
    const c = r.sp.alive()[0]!;
    c.res(lastJob(c));
    await r.clock.flush();
    expect(ok.value).toBeDefined();
  });

  it('recycles a worker after maxRequests: stop, drain, replacement, expected exit', async () => {
    const r = await started({ workers: 1, maxRequests: 2 });
    const a = r.sp.children[0]!;
    const runs = [
      track(r.pool.run(input())),
      track(r.pool.run(input())),
      track(r.pool.run(input())),
    ];
    await r.clock.flush();
    a.res(a.jobIds()[0]!);
    a.res(a.jobIds()[1]!);
    await r.clock.advance(250);
    expect(a.received.at(-1)).toEqual({ t: 'stop' });
    // the third job was already on its pipe before stop: it still runs there
    expect(a.jobIds()).toHaveLength(3);
    expect(r.sp.children).toHaveLength(2);
    a.res(a.jobIds()[2]!);
    a.exit(0);
    await r.clock.flush();
    expect(runs.every((x) => x.value)).toBe(true);
    expect(r.exits[0]).toMatchObject({
      id: 1,
      expected: true,
      reason: 'exited after finishing its work',
    });
    const more = track(r.pool.run(input()));
    await r.clock.flush();
    const b = r.sp.children[1]!;
    b.res(lastJob(b));
    await r.clock.flush();
    expect(more.value?.worker).toBe(2);
  });

  it('a recycled worker keeps serving until its replacement has booted', async () => {
    const r = await started({ workers: 1, maxRequests: 1 });
    const a = r.sp.children[0]!;
    r.sp.onSpawn = null;
    const one = track(r.pool.run(input()));
    await r.clock.flush();
    a.res(a.jobIds()[0]!);
    await r.clock.flush();
    expect(one.value).toBeDefined();
    expect(r.sp.children).toHaveLength(2); // the replacement is booting
    const two = track(r.pool.run(input()));
    await r.clock.flush();
    expect(a.jobIds()).toHaveLength(2); // no gap: the old one took it
    expect(a.has('stop')).toBe(false);
    r.sp.children[1]!.ready();
    await r.clock.flush();
    expect(a.received.at(-1)).toEqual({ t: 'stop' });
    a.res(a.jobIds()[1]!);
    await r.clock.flush();
    expect(two.value?.worker).toBe(1);
  });

  it('restart() brings up new workers, retires the old after they drain, and drops nothing', async () => {
    const r = await started();
    const [a, b] = r.sp.children as [FakeChild, FakeChild];
    const before = [track(r.pool.run(input())), track(r.pool.run(input()))];
    await r.clock.flush();
    r.sp.onSpawn = null; // new workers boot slowly
    const restarted = track(
      r.pool.restart('pse.conf changed', { ...workerConfig, autoEscape: false }),
    );
    await r.clock.flush();
    expect(r.sp.children).toHaveLength(4);
    expect(r.sp.children[2]!.received[0]).toMatchObject({
      t: 'init',
      worker: 3,
      config: { autoEscape: false },
    });
    const during = track(r.pool.run(input())); // old workers still serve
    await r.clock.flush();
    expect(a.jobIds().length + b.jobIds().length).toBe(3);
    r.sp.children[2]!.ready();
    r.sp.children[3]!.ready();
    await r.clock.flush();
    expect(a.received.at(-1)).toEqual({ t: 'stop' });
    expect(b.received.at(-1)).toEqual({ t: 'stop' });
    const after = track(r.pool.run(input()));
    await r.clock.flush();
    expect([2, 3].some((i) => r.sp.children[i]!.jobIds().length === 1)).toBe(true);
    expect(restarted.settled).toBe(false); // old ones still draining
    for (const c of [a, b]) {
      for (const id of c.jobIds()) c.res(id);
      c.exit(0);
    }
    const fresh = r.sp.children.slice(2).find((c) => c.jobIds().length)!;
    fresh.res(lastJob(fresh));
    await r.clock.flush();
    expect(restarted.settled && !restarted.error).toBe(true);
    expect([...before, during, after].every((x) => x.value)).toBe(true);
    expect(r.logs.some((l) => l.includes('restarting the workers: pse.conf changed'))).toBe(true);
  });

  it('restart() with a broken new boot rejects and leaves the old workers serving', async () => {
    const r = await started();
    r.sp.onSpawn = (c) => {
      c.send({ t: 'fatal', message: 'SyntaxError in /app/helpers.py line 2' });
      c.exit(3);
    };
    const restarted = track(r.pool.restart('config changed'));
    await r.clock.flush();
    expect((restarted.error as Error).message).toMatch(/helpers.py line 2/);
    const run = track(r.pool.run(input()));
    await r.clock.flush();
    const old = r.sp.children.slice(0, 2).find((c) => c.jobIds().length)!;
    old.res(lastJob(old));
    await r.clock.flush();
    expect(run.value).toBeDefined();
  });

  it('stop() fails queued jobs as unavailable, lets pipes drain, and resolves when all exited', async () => {
    const r = await started({ workers: 1, maxInFlight: 1 });
    const a = r.sp.children[0]!;
    const onPipe = track(r.pool.run(input()));
    const queued = track(r.pool.run(input()));
    await r.clock.flush();
    const stopped = track(r.pool.stop());
    await r.clock.flush();
    expect((queued.error as WorkerFailure).kind).toBe('unavailable');
    expect(a.received.at(-1)).toEqual({ t: 'stop' });
    a.res(a.jobIds()[0]!);
    a.exit(0);
    await r.clock.flush();
    expect(onPipe.value).toBeDefined();
    expect(stopped.settled).toBe(true);
    const late = track(r.pool.run(input()));
    await r.clock.flush();
    expect((late.error as WorkerFailure).kind).toBe('unavailable');
  });
});
