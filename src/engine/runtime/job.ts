/**
 * A unit of work sent to a worker, and the failure that ends one when its worker does not
 * answer. The supervisor only needs what is here; the pool builds the results.
 */
import type { CallMsg, ChunkMsg, DoneMsg, LogMsg, ResMsg } from './protocol.js';
import type { Worker } from './worker.js';

export type FailureKind = 'timeout' | 'crash' | 'unavailable';

/** A job ended without an answer: timeout → 504, crash → 502, unavailable → 503. */
export class WorkerFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly worker?: number,
  ) {
    super(message);
    this.name = 'WorkerFailure';
  }
}

export type JobKind = 'req' | 'check' | 'admin';

export interface Job {
  /** unique in the pool; the encoded frame carries it, so it can be re-sent to another worker */
  readonly id: number;
  readonly kind: JobKind;
  readonly frame: Buffer;
  /** for messages: "GET /shop/cart.pt", "check", "admin set" */
  readonly label: string;
  /** set once: settled or failed */
  ended: boolean;
  /**
   * Others wait for it (a request of a session that was held): its frame leaves at once rather
   * than with the turn's batch, so the worker starts it before Node writes the replies of the turn.
   */
  readonly urgent?: boolean;
  /**
   * It continues from what the job before it left on this worker (`ReqMsg.after`): it is never
   * given back to run elsewhere, where it would only be refused.
   */
  readonly pinned?: boolean;
  /** messages the worker sends while running it */
  message(worker: Worker, msg: CallMsg | ChunkMsg | LogMsg, blobs: Buffer[]): void;
  /** the worker's final answer */
  finish(worker: Worker, msg: ResMsg | DoneMsg, blobs: Buffer[]): void;
  fail(failure: WorkerFailure): void;
}
