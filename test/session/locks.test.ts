import { describe, expect, it } from 'vitest';
import { LockTimeoutError, SessionLocks } from '../../src/engine/session/locks.js';

describe('SessionLocks', () => {
  it('serves one session FIFO, never two at once', async () => {
    const locks = new SessionLocks(5_000);
    const order: string[] = [];
    let inside = 0;
    const job = async (name: string): Promise<void> => {
      const release = await locks.acquire('s');
      inside++;
      expect(inside).toBe(1);
      order.push(name);
      await new Promise((r) => setTimeout(r, 2));
      inside--;
      release();
    };
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map(job));
    expect(order).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(locks.depth('s')).toBe(0);
  });

  it('does not make different sessions wait for each other', async () => {
    const locks = new SessionLocks(5_000);
    const r1 = await locks.acquire('x');
    const r2 = await locks.acquire('y');
    r1();
    r2();
  });

  it('times a waiter out with the session id, and the queue goes on', async () => {
    const locks = new SessionLocks(30);
    const holder = await locks.acquire('s');
    const late = locks.acquire('s');
    const third = locks.acquire('s', 10_000);
    await expect(late).rejects.toBeInstanceOf(LockTimeoutError);
    await expect(late).rejects.toMatchObject({ sessionId: 's', code: 'session_lock_timeout' });
    expect(locks.depth('s')).toBe(2);
    holder();
    const r3 = await third;
    expect(locks.depth('s')).toBe(1);
    r3();
    expect(locks.depth('s')).toBe(0);
  });

  it('ignores a second release of the same hold', async () => {
    const locks = new SessionLocks(1_000);
    const r = await locks.acquire('s');
    const next = locks.acquire('s');
    r();
    r();
    const r2 = await next;
    expect(locks.depth('s')).toBe(1);
    r2();
  });

  it('tryAcquire takes a free lock at once and shares the FIFO with acquire', async () => {
    const locks = new SessionLocks(5_000);
    const first = locks.tryAcquire('s');
    expect(first).not.toBeNull();
    expect(locks.tryAcquire('s')).toBeNull(); // held
    const order: string[] = [];
    const queued = locks.acquire('s').then((release) => {
      order.push('queued');
      return release;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]); // still behind the holder
    first!();
    expect(locks.tryAcquire('s')).toBeNull(); // the waiter is next, not a newcomer
    const second = await queued;
    expect(order).toEqual(['queued']);
    second();
    expect(locks.depth('s')).toBe(0);
    const again = locks.tryAcquire('s');
    expect(again).not.toBeNull();
    again!();
    expect(() => first!()).not.toThrow(); // a second release is a no-op
    expect(locks.depth('s')).toBe(0);
  });

  it('stays exact over many sessions, while it keeps and drops idle queues', async () => {
    const locks = new SessionLocks(5_000);
    const held = locks.tryAcquire('busy')!; // held throughout: never dropped as idle
    for (let i = 0; i < 5000; i++) {
      const id = `s${i % 3000}`;
      const release = locks.tryAcquire(id);
      expect(release).not.toBeNull();
      expect(locks.tryAcquire(id)).toBeNull();
      release!();
      expect(locks.depth(id)).toBe(0);
    }
    expect(locks.tryAcquire('busy')).toBeNull();
    const waiting = locks.acquire('busy');
    expect(locks.depth('busy')).toBe(2);
    held();
    (await waiting)();
    expect(locks.depth('busy')).toBe(0);
  });
});
