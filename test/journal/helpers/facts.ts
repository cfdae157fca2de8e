import type { RequestFacts } from '../../../src/engine/journal/record.js';

/** What the journal is told of a plain request (GET /a.pt, 200, worker 1). */
export const facts: RequestFacts = {
  time: 1,
  method: 'GET',
  path: '/a.pt',
  query: '',
  status: 200,
  durationMs: 3,
  worker: 1,
  lockWaitMs: 0,
};
