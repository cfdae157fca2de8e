/**
 * One job at a time, newest request wins: how the live preview keeps up with typing without a
 * fixed debounce. A request made while the pool is idle starts at once (no wait); one made while a
 * job runs waits, replacing any request already waiting; a job's outcome is delivered only when
 * no newer request is waiting (a superseded result would be replaced at once: it is dropped
 * unseen, so the page is not rendered twice).
 */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

export class LatestRunner<Q, R> {
  private running = false;
  private waiting: { req: Q } | undefined;
  private generation = 0;
  private readonly listeners = new Set<(outcome: Outcome<R>) => void>();
  private idle: (() => void)[] = [];

  constructor(private readonly job: (req: Q) => Promise<R>) {}

  /** Runs `req` now if idle, else after the running job (replacing any waiting request). */
  submit(req: Q): void {
    this.waiting = { req };
    if (!this.running) this.next();
  }

  /** true while a job runs or a request waits */
  get busy(): boolean {
    return this.running || this.waiting !== undefined;
  }

  /** Resolves once nothing runs or waits (at once when idle). */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Receives each delivered outcome; returns the unsubscribe function. */
  onOutcome(listener: (outcome: Outcome<R>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drops the waiting request and the running job's outcome (the job itself runs to its end). */
  cancel(): void {
    this.waiting = undefined;
    this.generation++;
  }

  private next(): void {
    const w = this.waiting;
    if (!w) {
      this.running = false;
      const idle = this.idle;
      this.idle = [];
      for (const resolve of idle) resolve();
      return;
    }
    this.waiting = undefined;
    this.running = true;
    const generation = this.generation;
    void Promise.resolve()
      .then(() => this.job(w.req))
      .then(
        (value): Outcome<R> => ({ ok: true, value }),
        (error: unknown): Outcome<R> => ({ ok: false, error }),
      )
      .then((outcome) => {
        if (generation === this.generation && !this.waiting)
          for (const l of [...this.listeners]) {
            try {
              l(outcome);
            } catch (err) {
              console.error(err); // one broken view must not stop the queue
            }
          }
        this.next();
      });
  }
}
