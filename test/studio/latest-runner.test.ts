/** The preview queue: one job at a time, newest request wins, superseded outcomes dropped. */
import { describe, expect, it } from 'vitest';
import { LatestRunner, type Outcome } from '../../src/renderer/base/latest.js';

/** A job whose calls finish only when the test says so. */
function controlled() {
  const calls: { req: string; finish(v: string): void; fail(e: Error): void }[] = [];
  const job = (req: string) =>
    new Promise<string>((resolve, reject) => calls.push({ req, finish: resolve, fail: reject }));
  return { calls, job };
}

/** A runner of a controlled job, with the outcomes it delivers. */
function watched() {
  const { calls, job } = controlled();
  const q = new LatestRunner(job);
  const seen: Outcome<string>[] = [];
  q.onOutcome((o) => seen.push(o));
  return { calls, q, seen };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe('LatestRunner', () => {
  it('starts at once when idle, and delivers the outcome', async () => {
    const { calls, q, seen } = watched();
    q.submit('a');
    await settle();
    expect(calls.map((c) => c.req)).toEqual(['a']);
    expect(q.busy).toBe(true);
    calls[0]!.finish('A');
    await settle();
    expect(seen).toEqual([{ ok: true, value: 'A' }]);
    expect(q.busy).toBe(false);
  });

  it('runs one job at a time, keeps only the newest waiting request, drops superseded outcomes', async () => {
    const { calls, q, seen } = watched();
    q.submit('a');
    await settle();
    q.submit('b');
    q.submit('c');
    await settle();
    expect(calls.map((c) => c.req)).toEqual(['a']); // b and c wait; c replaced b
    calls[0]!.finish('A');
    await settle();
    expect(seen).toEqual([]); // 'A' was superseded by the waiting 'c'
    expect(calls.map((c) => c.req)).toEqual(['a', 'c']);
    calls[1]!.fail(new Error('boom'));
    await settle();
    expect(seen).toEqual([{ ok: false, error: new Error('boom') }]);
  });

  it('resolves whenIdle only once nothing runs or waits', async () => {
    const { calls, job } = controlled();
    const q = new LatestRunner(job);
    let idle = false;
    await q.whenIdle(); // idle from the start
    q.submit('a');
    void q.whenIdle().then(() => (idle = true));
    await settle();
    q.submit('b');
    calls[0]!.finish('A');
    await settle();
    expect(idle).toBe(false); // 'b' runs now
    calls[1]!.finish('B');
    await settle();
    expect(idle).toBe(true);
  });

  it('cancel drops the waiting request and the running outcome', async () => {
    const { calls, q, seen } = watched();
    q.submit('a');
    await settle();
    q.submit('b');
    q.cancel();
    calls[0]!.finish('A');
    await settle();
    expect(seen).toEqual([]);
    expect(calls.map((c) => c.req)).toEqual(['a']);
    expect(q.busy).toBe(false);
    q.submit('d'); // usable again afterwards
    await settle();
    calls[1]!.finish('D');
    await settle();
    expect(seen).toEqual([{ ok: true, value: 'D' }]);
  });

  it('keeps going when a listener throws', async () => {
    const q = new LatestRunner((req: string) => Promise.resolve(req.toUpperCase()));
    const seen: string[] = [];
    const errors = console.error;
    console.error = () => undefined;
    try {
      q.onOutcome(() => {
        throw new Error('broken view');
      });
      q.onOutcome((o) => o.ok && seen.push(o.value));
      q.submit('a');
      await q.whenIdle();
      q.submit('b');
      await q.whenIdle();
    } finally {
      console.error = errors;
    }
    expect(seen).toEqual(['A', 'B']);
  });
});
