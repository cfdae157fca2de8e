/**
 * Per-session FIFO locks: two requests of one session never interleave, and they are served in
 * arrival order. A waiter that is not served within the timeout fails with LockTimeoutError
 * (the HTTP layer answers 503) and leaves the queue without disturbing the others.
 */
import type { HeldSession } from './held-state.js';

export class LockTimeoutError extends Error {
  readonly code = 'session_lock_timeout';
  constructor(
    readonly sessionId: string,
    readonly waitedMs: number,
  ) {
    super(
      `session ${sessionId}: still busy with another request after ${Math.round(waitedMs)} ms (LockTimeout)`,
    );
    this.name = 'LockTimeoutError';
  }
}

/**
 * Ends a hold on the lock. The holder may hand the next one the session as it leaves it, so that
 * a request queued directly behind it (`acquireTurn`) need not load it again.
 */
export type Release = (handoff?: HeldSession) => void;

/** A holder's place in the queue of its session: compared by identity (see `tail`). */
export type LockTurn = object;

/** The lock granted to a waiter of `acquireTurn`, and what the holder before it handed on. */
export interface Grant {
  release: Release;
  /** the turn that released the lock to this one */
  from: LockTurn;
  handoff: HeldSession | undefined;
}

interface Waiter {
  grant: (from: LockTurn, handoff: HeldSession | undefined) => void;
  timer?: NodeJS.Timeout;
}

/** The grant of a lock taken at once (tryAcquire): nothing to wake. */
const GRANTED = (): void => undefined;

/**
 * Empty queues are kept for reuse (a session's next request finds its queue in place: no Map
 * insert and delete per request, whose table churn showed in profiles); past this many queues
 * the empty ones are dropped.
 */
const KEEP_QUEUES = 1024;

export class SessionLocks {
  /** id → queue; the head holds the lock. Empty: nobody holds or waits (absent: the same). */
  private readonly queues = new Map<string, Waiter[]>();

  constructor(private timeoutMs: number) {}

  /**
   * A new LockTimeout (pse.conf reload) for waiters that arrive from now on; holders and waiters
   * already queued keep theirs, so a reload disturbs no request in flight.
   */
  setTimeout(ms: number): void {
    this.timeoutMs = ms;
  }

  /** Resolves with a release function once every earlier holder of `id` has released. */
  acquire(id: string, timeoutMs = this.timeoutMs): Promise<Release> {
    return this.acquireTurn(id, timeoutMs).granted.then((g) => g.release);
  }

  /**
   * `acquire`, with the waiter's turn (known at once: it is the queue's tail now) and, with the
   * grant, what the holder before it handed on.
   */
  acquireTurn(id: string, timeoutMs = this.timeoutMs): { turn: LockTurn; granted: Promise<Grant> } {
    const q = this.queueOf(id);
    let waiter!: Waiter;
    const granted = new Promise<Grant>((resolve, reject) => {
      const started = performance.now();
      waiter = {
        grant: (from, handoff) => resolve({ release: this.releaser(id, waiter), from, handoff }),
      };
      q.push(waiter);
      if (q.length === 1) {
        waiter.grant(waiter, undefined);
        return;
      }
      waiter.timer = setTimeout(() => {
        const i = q.indexOf(waiter);
        // Already granted (at the head): the grant won the race; nothing to undo.
        if (i <= 0) return;
        q.splice(i, 1);
        reject(new LockTimeoutError(id, performance.now() - started));
      }, timeoutMs);
    });
    return { turn: waiter, granted };
  }

  /** The turn last in the queue of `id` (holding or waiting), if any. */
  tail(id: string): LockTurn | undefined {
    const q = this.queues.get(id);
    return q && q.length > 0 ? q[q.length - 1] : undefined;
  }

  /**
   * The lock at once when nobody holds or awaits `id` (the common case: no Promise, no timer);
   * null when it is busy, and the caller queues with `acquire`.
   */
  tryAcquire(id: string): Release | null {
    const q = this.queueOf(id);
    if (q.length > 0) return null;
    const waiter: Waiter = { grant: GRANTED };
    q.push(waiter);
    return this.releaser(id, waiter);
  }

  /** Number of requests holding or waiting for `id` (for tests and Studio). */
  depth(id: string): number {
    return this.queues.get(id)?.length ?? 0;
  }

  private queueOf(id: string): Waiter[] {
    let q = this.queues.get(id);
    if (!q) {
      if (this.queues.size >= KEEP_QUEUES) this.dropEmpty();
      q = [];
      this.queues.set(id, q);
    }
    return q;
  }

  private dropEmpty(): void {
    for (const [id, q] of this.queues) if (q.length === 0) this.queues.delete(id);
  }

  private releaser(id: string, waiter: Waiter): Release {
    let done = false;
    return (handoff) => {
      if (done) return;
      done = true;
      const q = this.queues.get(id);
      if (!q || q[0] !== waiter)
        throw new Error(`session ${id}: lock released by a request that does not hold it`);
      q.shift();
      const next = q[0];
      if (!next) return; // the empty queue stays for the session's next request
      if (next.timer) clearTimeout(next.timer);
      next.grant(waiter, handoff);
    };
  }
}
