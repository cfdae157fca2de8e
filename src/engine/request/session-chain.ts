/**
 * The last run of each session that went to a worker holding it: the next request of that
 * session may follow it onto the same worker (`SessionManager.follow`, `WorkerPool.dispatchAfter`)
 * and start from the session as that run leaves it there, instead of waiting in Node for the
 * lock, a load and a new dispatch.
 */
import type { RunHandle } from '../runtime/run.js';
import type { SessionPlace } from '../session/ticket.js';

/** The run a request may follow, and where it stands in its session's queue. */
export interface SessionLink {
  readonly place: SessionPlace;
  readonly run: RunHandle;
}

/** A session's slot: kept across its requests, emptied (not removed) when its run settles. */
interface Slot {
  place: SessionPlace | null;
  run: RunHandle | null;
}

/**
 * Slots kept for reuse; past this many the empty ones are dropped. With a Map insert and delete
 * per request instead, the young-generation GC promoted far more of each request's objects:
 * 3× the GC time on the session read path (one cookie per connection), 0.6–0.8× the requests.
 */
const KEEP_SLOTS = 1024;

export class SessionChains {
  private readonly slots = new Map<string, Slot>();

  /** `run` holds (or will hold) the session at `place`: the next request may follow it. */
  add(place: SessionPlace, run: RunHandle): void {
    const slot = this.slots.get(place.sessionId);
    if (slot) {
      slot.place = place;
      slot.run = run;
      return;
    }
    if (this.slots.size >= KEEP_SLOTS) this.dropEmpty();
    this.slots.set(place.sessionId, { place, run });
  }

  /** The run of `id` a request may follow, if one is in flight (a copy: slots are reused). */
  last(id: string): SessionLink | undefined {
    const slot = this.slots.get(id);
    return slot?.place && slot.run ? { place: slot.place, run: slot.run } : undefined;
  }

  /** The request at `place` has settled: nothing follows it any more. */
  end(place: SessionPlace): void {
    const slot = this.slots.get(place.sessionId);
    if (slot?.place === place) {
      slot.place = null;
      slot.run = null;
    }
  }

  private dropEmpty(): void {
    for (const [id, slot] of this.slots) if (!slot.place) this.slots.delete(id);
  }
}
