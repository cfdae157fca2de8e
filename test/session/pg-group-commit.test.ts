/**
 * Group commit on PostgreSQL: the commits asked for while a statement runs go together in the
 * next one, each session once per group; a failing statement is tried again one commit at a
 * time, so that its failure reaches only the commit that caused it. Then new sessions and
 * changes against a real server, through the store: many at once, each whole, conflicts and
 * expired ids settled as one at a time would.
 */
import { afterAll, describe, expect, it } from 'vitest';
import {
  PgGroupCommit,
  type GroupStatement,
  type RunStatement,
} from '../../src/engine/session/pg-group-commit.js';
import { PgSessionStore } from '../../src/engine/session/pg-store.js';
import { SessionConflictError, type SessionCommit } from '../../src/engine/session/store.js';
import { TEST_PG, testSchema } from '../helpers/pg.js';
import { createCommit, HOUR, T0 } from '../helpers/sqlite-stores.js';

interface Item {
  id: string;
}

/** A statement whose result for each id is whether the rows name it. */
function statement(): GroupStatement<Item, { id: string }, boolean> {
  return {
    sql: 'sql',
    values: (group) => [group.map((i) => i.id)],
    results: (group, rows) => group.map((i) => rows.some((r) => r.id === i.id)),
  };
}

/** A fake run: records each group's ids; fails a group holding a `bad` id. */
function fake(
  taken: Set<string>,
  bad: Set<string>,
): { run: RunStatement<{ id: string }>; groups: string[][] } {
  const groups: string[][] = [];
  const run: RunStatement<{ id: string }> = async (_sql, values) => {
    const ids = values[0] as string[];
    groups.push(ids);
    await new Promise((r) => setTimeout(r, 5)); // the statement's round trip and flush
    if (ids.some((id) => bad.has(id))) throw new Error(`statement failed on ${ids.join(',')}`);
    return ids.filter((id) => !taken.has(id)).map((id) => ({ id }));
  };
  return { run, groups };
}

function batch(taken = new Set<string>(), bad = new Set<string>()) {
  const f = fake(taken, bad);
  return { b: new PgGroupCommit(statement(), f.run), groups: f.groups };
}

describe('PgGroupCommit', () => {
  it('sends the commits asked for while a statement runs as one group', async () => {
    const { b, groups } = batch();
    const first = b.submit({ id: 'a' });
    await new Promise((r) => setTimeout(r, 1)); // the first group is on its way
    const later = ['b', 'c', 'd'].map((id) => b.submit({ id }));
    expect(await Promise.all([first, ...later])).toEqual([true, true, true, true]);
    expect(groups).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it("gives each commit its own result from the group's rows", async () => {
    const { b } = batch(new Set(['b']));
    const r = await Promise.all(['a', 'b', 'c'].map((id) => b.submit({ id })));
    expect(r).toEqual([true, false, true]);
  });

  it('puts the same session twice in two groups, in the order asked for', async () => {
    const { b, groups } = batch();
    await Promise.all(['a', 'a', 'b'].map((id) => b.submit({ id })));
    expect(groups).toEqual([['a', 'b'], ['a']]);
  });

  it('tries a failed group one commit at a time: only the bad one fails', async () => {
    const { b, groups } = batch(new Set(), new Set(['b']));
    const r = await Promise.allSettled(['a', 'b', 'c'].map((id) => b.submit({ id })));
    expect(r.map((x) => x.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((r[1] as PromiseRejectedResult).reason)).toContain('statement failed on b');
    expect(groups).toEqual([['a', 'b', 'c'], ['a'], ['b'], ['c']]);
  });

  it('idle() waits for every commit asked for before it', async () => {
    const { b } = batch();
    let settled = 0;
    for (const id of ['a', 'b', 'c']) void b.submit({ id }).then(() => settled++);
    await b.idle();
    await Promise.resolve();
    expect(settled).toBe(3);
  });
});

describe('commits on a PostgreSQL store, many at once', () => {
  const schema = testSchema();
  afterAll(() => schema.drop());

  function create(id: string, extra: Partial<SessionCommit> = {}): SessionCommit {
    return createCommit(
      id,
      {
        '': { pickle: `p-${id}`, preview: { t: 'str', v: id } },
        cart: { pickle: `c-${id}`, preview: { t: 'int', v: '1' } },
      },
      extra,
    );
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

  it('changes many at once, each whole; a change based on an old version or a gone session writes nothing', async () => {
    const store = await PgSessionStore.open({ target: TEST_PG, table: schema.table('changes') });
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `c${i}`);
      await Promise.all([...ids, 'stale', 'gone'].map((id) => store.commit(create(id))));
      await store.commit({ ...create('stale'), create: false, expectVersion: 1 }); // now at 2
      await store.delete('gone');
      const t = T0 + 5;
      const change = (id: string, expectVersion: number): SessionCommit => ({
        id,
        now: t,
        expires: t + HOUR,
        expectVersion,
        upsert: new Map([
          ['', { pickle: Buffer.from(`q-${id}`), preview: { t: 'str', v: `q-${id}` } }],
          ['extra', { pickle: Buffer.from('x'), preview: { t: 'none' } }],
        ]),
        delete: ['cart'],
      });
      const results = await Promise.allSettled([
        ...ids.map((id) => store.commit(change(id, 1))),
        store.commit(change('stale', 1)),
        store.commit(change('gone', 1)),
      ]);
      for (const r of results.slice(0, 30)) {
        expect(r.status).toBe('fulfilled');
        const v = (r as PromiseFulfilledResult<{ version: number; versions: Map<string, number> }>)
          .value;
        expect(v.version).toBe(2);
        expect(Object.fromEntries(v.versions)).toEqual({ '': 2, extra: 1 });
      }
      expect((results[30] as PromiseRejectedResult).reason).toMatchObject({
        expected: 1,
        actual: 2,
      });
      expect((results[31] as PromiseRejectedResult).reason).toMatchObject({ actual: null });
      for (const id of ids) {
        const s = await store.load(id, t);
        expect(s!.version).toBe(2);
        expect([...s!.ns.keys()].sort()).toEqual(['', 'extra']);
        expect(s!.ns.get('')!.pickle.toString()).toBe(`q-${id}`);
      }
      const stale = await store.load('stale', t);
      expect(stale!.version).toBe(2);
      expect(stale!.ns.get('')!.pickle.toString()).toBe('p-stale');
      expect([...stale!.ns.keys()].sort()).toEqual(['', 'cart']);
      expect(await store.load('gone', t)).toBeNull();
    } finally {
      await store.close();
    }
  });
});
