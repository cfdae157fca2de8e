/**
 * Group commit of new sessions on PostgreSQL: the sessions asked for while a statement runs go
 * together in the next one; an id taken is reported as such, a failing statement is tried again
 * one session at a time, so that its failure reaches only the session that caused it. Then the
 * same against a real server, through the store.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  PgCreateBatch,
  type NewSession,
  type RunCreate,
} from '../../src/engine/session/pg-create-batch.js';
import { PgSessionStore } from '../../src/engine/session/pg-store.js';
import { SessionConflictError, type SessionCommit } from '../../src/engine/session/store.js';
import { TEST_PG, testSchema } from '../helpers/pg.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function session(id: string): NewSession {
  return {
    id,
    now: T0,
    expires: T0 + HOUR,
    names: [''],
    pickles: [Buffer.from(id)],
    previews: ['{"t":"none"}'],
  };
}

/** A fake statement: records each group's ids; `taken` ids are not inserted; `bad` fails it. */
function fake(taken: Set<string>, bad: Set<string>): { run: RunCreate; groups: string[][] } {
  const groups: string[][] = [];
  const run: RunCreate = async (_sql, values) => {
    const ids = values[0] as string[];
    groups.push(ids);
    await new Promise((r) => setTimeout(r, 5)); // the statement's round trip and flush
    if (ids.some((id) => bad.has(id))) throw new Error(`statement failed on ${ids.join(',')}`);
    return ids.filter((id) => !taken.has(id)).map((id) => ({ id }));
  };
  return { run, groups };
}

describe('PgCreateBatch', () => {
  it('sends the sessions asked for while a statement runs as one group', async () => {
    const { run, groups } = fake(new Set(), new Set());
    const b = new PgCreateBatch('sql', run);
    const first = b.create(session('a'));
    await new Promise((r) => setTimeout(r, 1)); // the first group is on its way
    const later = ['b', 'c', 'd'].map((id) => b.create(session(id)));
    expect(await Promise.all([first, ...later])).toEqual([true, true, true, true]);
    expect(groups).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('reports a taken id as not created, the others of its group as created', async () => {
    const { run } = fake(new Set(['b']), new Set());
    const b = new PgCreateBatch('sql', run);
    const r = await Promise.all(['a', 'b', 'c'].map((id) => b.create(session(id))));
    expect(r).toEqual([true, false, true]);
  });

  it('puts the same id twice in two groups, in the order asked for', async () => {
    const { run, groups } = fake(new Set(), new Set());
    const b = new PgCreateBatch('sql', run);
    await Promise.all(['a', 'a', 'b'].map((id) => b.create(session(id))));
    expect(groups).toEqual([['a', 'b'], ['a']]);
  });

  it('tries a failed group one session at a time: only the bad one fails', async () => {
    const { run, groups } = fake(new Set(), new Set(['b']));
    const b = new PgCreateBatch('sql', run);
    const r = await Promise.allSettled(['a', 'b', 'c'].map((id) => b.create(session(id))));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((r[1] as PromiseRejectedResult).reason)).toContain('statement failed on b');
    expect(groups).toEqual([['a', 'b', 'c'], ['a'], ['b'], ['c']]);
  });

  it('idle() waits for every session asked for before it', async () => {
    const { run } = fake(new Set(), new Set());
    const b = new PgCreateBatch('sql', run);
    let settled = 0;
    for (const id of ['a', 'b', 'c']) void b.create(session(id)).then(() => settled++);
    await b.idle();
    await Promise.resolve();
    expect(settled).toBe(3);
  });
});

describe('new sessions on a PostgreSQL store', () => {
  const schema = testSchema();
  afterAll(() => schema.drop());

  function create(id: string, extra: Partial<SessionCommit> = {}): SessionCommit {
    return {
      id,
      now: T0,
      expires: T0 + HOUR,
      create: true,
      upsert: new Map([
        ['', { pickle: Buffer.from(`p-${id}`), preview: { t: 'str', v: id } }],
        ['cart', { pickle: Buffer.from(`c-${id}`), preview: { t: 'int', v: '1' } }],
      ]),
      delete: [],
      ...extra,
    };
  }

  it('creates many at once, each whole; a live id among them is a conflict, an expired one is replaced', async () => {
    const store = await PgSessionStore.open({ target: TEST_PG, table: schema.table('creates') });
    try {
      await store.commit(create('live'));
      await store.commit(create('old', { expires: T0 + 1 }));
      const later = T0 + 10;
      const ids = Array.from({ length: 40 }, (_, i) => `s${i}`);
      const results = await Promise.allSettled([
        ...ids.map((id) => store.commit(create(id, { now: later, expires: later + HOUR }))),
        store.commit(create('live', { now: later, expires: later + HOUR })),
        store.commit(create('old', { now: later, expires: later + HOUR })),
      ]);
      expect(results.slice(0, 40).every((r) => r.status === 'fulfilled')).toBe(true);
      const live = results[40] as PromiseRejectedResult;
      expect(live.status).toBe('rejected');
      expect(live.reason).toBeInstanceOf(SessionConflictError);
      expect(results[41]!.status).toBe('fulfilled');
      for (const id of [...ids, 'old']) {
        const s = await store.load(id, later);
        expect(s?.version).toBe(1);
        expect(s!.ns.get('')!.pickle.toString()).toBe(`p-${id}`);
        expect(s!.ns.get('cart')!.pickle.toString()).toBe(`c-${id}`);
        expect(s!.ns.get('cart')!.preview).toEqual({ t: 'int', v: '1' });
      }
      const kept = await store.load('live', later);
      expect(kept!.ns.get('')!.pickle.toString()).toBe('p-live');
    } finally {
      await store.close();
    }
  });
});
