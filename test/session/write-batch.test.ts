/**
 * Group commit in the SQLite store: the writes asked for in one turn share one transaction,
 * and a failing one is rolled back alone. What must hold: one failing write is rolled back alone, writes
 * land in the order asked for, every promise settles after the data is committed, and the WAL
 * receives the changed pages once per group rather than once per write.
 */
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import { SqliteWriteBatch } from '../../src/engine/session/sqlite-write-batch.js';
import { createCommit, HOUR, storeFolder, T0 } from '../helpers/sqlite-stores.js';
import { SessionConflictError, type SessionCommit } from '../../src/engine/session/store.js';

const stores = storeFolder('pse-write-batch-');

function store(exclusive: boolean): { store: SqliteSessionStore; file: string } {
  const file = stores.file();
  return { store: stores.keep(new SqliteSessionStore({ file, exclusive })), file };
}

function create(id: string, v = 1): SessionCommit {
  return createCommit(id, { pse: { pickle: `v=${v}`, preview: { t: 'int', v: String(v) } } });
}

const walBytes = (file: string): number =>
  fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0;

describe.each([false, true])('SQLite store writes in one turn (exclusive: %s)', (exclusive) => {
  it('share one transaction: the WAL gets each changed page once, not once per write', async () => {
    const { store: s, file } = store(exclusive);
    await s.commit(create('warm')); // the tables' first pages exist
    const before = walBytes(file);
    const ids = Array.from({ length: 64 }, (_, i) => `s${String(i).padStart(3, '0')}`);
    await Promise.all(ids.map((id) => s.commit(create(id))));
    const frames = (walBytes(file) - before) / (4096 + 24);
    // 64 separate transactions write at least one frame each (a commit frame); one group
    // writes the few pages of two small b-trees once.
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(16);
    for (const id of ids) expect((await s.load(id, T0))?.version).toBe(1);
  });

  it('roll a failing write back alone; the others of its turn commit', async () => {
    const { store: s, file } = store(exclusive);
    await s.commit(create('taken'));
    const results = await Promise.allSettled([
      s.commit(create('a')),
      s.commit(create('taken', 2)), // exists: a conflict
      s.commit({ ...create('b'), create: false, expectVersion: 7 }), // no such session
      s.commit(create('c')),
    ]);
    expect(results.map((r) => r.status)).toEqual([
      'fulfilled',
      'rejected',
      'rejected',
      'fulfilled',
    ]);
    expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(SessionConflictError);
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(SessionConflictError);
    // what another connection reads of the file: committed, and nothing of the failed ones
    await s.close();
    const db = new Database(file, { readonly: true });
    try {
      const rows = db.prepare('SELECT id, version FROM sessions ORDER BY id').all();
      expect(rows).toEqual([
        { id: 'a', version: 1 },
        { id: 'c', version: 1 },
        { id: 'taken', version: 1 },
      ]);
      const pickle = db.prepare("SELECT pickle FROM namespaces WHERE session = 'taken'").get() as {
        pickle: Buffer;
      };
      expect(pickle.pickle.toString()).toBe('v=1');
    } finally {
      db.close();
    }
  });

  it('run in the order asked for, and settle only once committed', async () => {
    const { store: s, file } = store(exclusive);
    const created = s.commit(create('x'));
    const changed = s.commit({ ...create('x', 2), create: false, expectVersion: 1 });
    const renamed = s.rename('x', 'y', T0 + 1, T0 + HOUR);
    const deleted = s.delete('y', 3);
    let settled = false;
    const all = Promise.all([created, changed, renamed, deleted]).then((r) => {
      settled = true;
      return r;
    });
    expect(settled).toBe(false);
    const [c, ch, , d] = await all;
    expect([c.version, ch.version, d]).toEqual([1, 2, true]);
    expect(await s.load('x', T0)).toBeNull();
    expect(await s.load('y', T0)).toBeNull();
    await s.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('close() writes what was asked for before it', async () => {
    const { store: s, file } = store(exclusive);
    const pending = s.commit(create('late'));
    await s.close();
    expect((await pending).version).toBe(1);
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT id FROM sessions').all()).toEqual([{ id: 'late' }]);
    } finally {
      db.close();
    }
  });
});

describe('a write that fails after changing the database', () => {
  it('is rolled back alone, with every change it made; the writes around it commit once each', async () => {
    const file = stores.file();
    const db = new Database(file);
    try {
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER NOT NULL)');
      db.exec('CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0)');
      const batch = new SqliteWriteBatch(db, file, 1000);
      const put = db.prepare('INSERT INTO t (k, n) VALUES (?, ?)');
      const bump = db.prepare('UPDATE counter SET n = n + 1 RETURNING n').pluck();
      const ok = (k: string) => () => {
        put.run(k, bump.get());
        return k;
      };
      const results = await Promise.allSettled([
        batch.write(ok('a')),
        batch.write(() => {
          put.run('b', bump.get());
          put.run('b2', 0);
          throw new Error('failed after its inserts');
        }),
        batch.write(ok('c')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toContain(
        'failed after its inserts',
      );
      // nothing of the failed write, and the others applied once: the counter counts the
      // two writes that committed, whatever was run and rolled back before
      expect(db.prepare('SELECT k, n FROM t ORDER BY k').all()).toEqual([
        { k: 'a', n: 1 },
        { k: 'c', n: 2 },
      ]);
      expect(db.prepare('SELECT n FROM counter').pluck().get()).toBe(2);
    } finally {
      db.close();
    }
  });
});
