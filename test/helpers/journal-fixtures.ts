/** Requests and session traces to journal in the journal tests. */
import type { SessionTrace } from '../../src/engine/session/ticket.js';

/** A finished GET of `path`, 200, now. */
export const requestFacts = (path: string) => ({
  time: Date.now(),
  method: 'GET',
  path,
  query: '',
  status: 200,
  durationMs: 1,
  worker: 1,
  lockWaitMs: 0,
});

/** One session's standard dictionary, its pickles before and after the request. */
export function pickleTrace(
  before: Buffer | null,
  after: Buffer | null,
  outcome: SessionTrace['outcome'] = 'committed',
): SessionTrace {
  return {
    sessionId: 'S'.repeat(43),
    outcome,
    changes: [
      {
        name: '',
        before: null,
        after: { t: 'dict', v: [] },
        diff: { added: [], removed: [], changed: [] },
      },
    ],
    saves: [],
    pickles: new Map([['', { before, after }]]),
  };
}
