/**
 * The SessionStore contract: every store runs this suite (add new stores to STORES).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../../src/engine/session/memory-store.js';
import { PgSessionStore } from '../../src/engine/session/pg-store.js';
import { TEST_PG, testSchema } from '../helpers/pg.js';
import { SCHEMA_VERSION, SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import {
  SessionConflictError,
  type SessionCommit,
  type SessionStore,
} from '../../src/engine/session/store.js';
import type { PreviewValue as Preview } from '../../src/common/types/session.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-store-'));
let n = 0;
const pgSchema = testSchema();
afterAll(() => pgSchema.drop());
const STORES: { name: string; make: () => SessionStore | Promise<SessionStore> }[] = [
  {
    name: 'sqlite (file)',
    make: () => new SqliteSessionStore({ file: path.join(tmp, `s${n++}`, 'sessions.sqlite') }),
  },
  {
    name: 'sqlite (file, exclusive: sessions served from memory)',
    make: () =>
      new SqliteSessionStore({
        file: path.join(tmp, `s${n++}`, 'sessions.sqlite'),
        exclusive: true,
      }),
  },
  { name: 'sqlite (memory)', make: () => new SqliteSessionStore({ file: ':memory:' }) },
  { name: 'memory', make: () => new MemorySessionStore() },
  {
    name: 'postgresql',
    make: () => PgSessionStore.open({ target: TEST_PG, table: pgSchema.table(`s${n++}`) }),
  },
];

const ID = 'a'.repeat(43);
const ID2 = 'b'.repeat(43);
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function prev(v: Record<string, number>): Preview {
  return { t: 'dict', v: Object.entries(v).map(([k, x]) => [k, { t: 'int', v: String(x) }]) };
}
function commit(
  id: string,
  ns: Record<string, Record<string, number>>,
  extra: Partial<SessionCommit> = {},
): SessionCommit {
  const upsert = new Map(
    Object.entries(ns).map(([name, v]) => [
      name,
      { pickle: Buffer.from(JSON.stringify(v)), preview: prev(v) },
    ]),
  );
  return { id, now: T0, expires: T0 + HOUR, upsert, delete: [], ...extra };
}

for (const { name, make } of STORES) {
  describe(`SessionStore contract: ${name}`, () => {
    let store: SessionStore;
    afterEach(async () => store?.close());

    it('creates a session and loads its namespaces', async () => {
      store = await make();
      expect(await store.load(ID, T0)).toBeNull();
      const r = await store.commit(commit(ID, { '': { a: 1 }, spam: { b: 2 } }, { create: true }));
      expect(r.version).toBe(1);
      expect(r.versions.get('')).toBe(1);
      const s = await store.load(ID, T0 + 1);
      expect(s?.version).toBe(1);
      expect([...s!.ns.keys()].sort()).toEqual(['', 'spam']);
      expect(JSON.parse(s!.ns.get('spam')!.pickle.toString())).toEqual({ b: 2 });
      expect(s!.ns.get('spam')!.preview).toEqual(prev({ b: 2 }));
      expect(s!.created).toBe(T0);
    });

    it('grows a namespace version only when that namespace is written', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { a: 1 }, spam: { b: 2 } }, { create: true }));
      const r = await store.commit(commit(ID, { spam: { b: 3 } }, { expectVersion: 1 }));
      expect(r.version).toBe(2);
      expect(r.versions.get('spam')).toBe(2);
      const s = await store.load(ID, T0);
      expect(s!.ns.get('')!.version).toBe(1);
      expect(s!.ns.get('spam')!.version).toBe(2);
    });

    it('refuses a lost update: two changes based on the same version', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { n: 0 } }, { create: true }));
      await store.commit(commit(ID, { '': { n: 1 } }, { expectVersion: 1 }));
      const lost = store.commit(commit(ID, { '': { n: 99 } }, { expectVersion: 1 }));
      await expect(lost).rejects.toBeInstanceOf(SessionConflictError);
      await expect(lost).rejects.toMatchObject({ sessionId: ID, expected: 1, actual: 2 });
      const s = await store.load(ID, T0);
      expect(JSON.parse(s!.ns.get('')!.pickle.toString())).toEqual({ n: 1 });
    });

    it('never creates over a live session, never writes a missing one', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { n: 0 } }, { create: true }));
      await expect(
        store.commit(commit(ID, { '': { n: 5 } }, { create: true })),
      ).rejects.toBeInstanceOf(SessionConflictError);
      await expect(store.commit(commit(ID2, { '': { n: 5 } }))).rejects.toMatchObject({
        actual: null,
      });
      expect(await store.load(ID2, T0)).toBeNull();
    });

    it('rolls a failing commit back entirely', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { a: 1 }, spam: { b: 2 } }, { create: true }));
      const bad = commit(ID, { '': { a: 2 } }, { expectVersion: 1, delete: ['spam'] });
      // A preview that cannot be serialized fails the commit after its delete has run.
      bad.upsert.set('eggs', {
        pickle: Buffer.from('x'),
        preview: { t: 'int', v: 10n } as unknown as Preview,
      });
      await expect(store.commit(bad)).rejects.toThrow();
      const s = await store.load(ID, T0);
      expect(s!.version).toBe(1);
      expect([...s!.ns.keys()].sort()).toEqual(['', 'spam']);
      expect(JSON.parse(s!.ns.get('')!.pickle.toString())).toEqual({ a: 1 });
    });

    it('writes a namespace deleted and written again in one commit, and the others beside it', async () => {
      store = await make();
      await store.commit(
        commit(ID, { '': { a: 1 }, spam: { b: 2 }, eggs: { c: 3 } }, { create: true }),
      );
      const both = commit(
        ID,
        { spam: { b: 5 }, '': { a: 2 } },
        { expectVersion: 1, delete: ['spam', 'eggs'] },
      );
      const r = await store.commit(both);
      expect(r.version).toBe(2);
      expect([...r.versions.keys()].sort()).toEqual(['', 'spam']);
      expect(r.versions.get('')).toBe(2);
      const s = await store.load(ID, T0);
      expect([...s!.ns.keys()].sort()).toEqual(['', 'spam']);
      expect(JSON.parse(s!.ns.get('spam')!.pickle.toString())).toEqual({ b: 5 });
      expect(JSON.parse(s!.ns.get('')!.pickle.toString())).toEqual({ a: 2 });
      expect(s!.ns.get('spam')!.version).toBe(r.versions.get('spam'));
    });

    it('deletes namespaces and sessions', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { a: 1 }, spam: { b: 2 } }, { create: true }));
      await store.commit(commit(ID, {}, { expectVersion: 1, delete: ['spam'] }));
      expect([...(await store.load(ID, T0))!.ns.keys()]).toEqual(['']);
      await expect(store.delete(ID, 1)).rejects.toBeInstanceOf(SessionConflictError);
      expect(await store.delete(ID, 2)).toBe(true);
      expect(await store.load(ID, T0)).toBeNull();
      expect(await store.delete(ID)).toBe(false);
    });

    it('expires sessions: not loaded, not listed, swept, never revived', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { a: 1 } }, { create: true }));
      await store.commit(commit(ID2, { '': { b: 1 } }, { create: true, expires: T0 + 10 * HOUR }));
      expect(await store.load(ID, T0 + HOUR)).toBeNull();
      expect(await store.load(ID, T0 + HOUR - 1)).not.toBeNull();
      expect((await store.list({}, T0 + HOUR)).items.map((s) => s.id)).toEqual([ID2]);
      // An expired session is not a base for a change...
      await expect(
        store.commit(commit(ID, { '': { a: 2 } }, { expectVersion: 1, now: T0 + HOUR })),
      ).rejects.toBeInstanceOf(SessionConflictError);
      // ...and a new session under that id starts empty.
      await store.commit(
        commit(ID, { x: { c: 1 } }, { create: true, now: T0 + HOUR, expires: T0 + 3 * HOUR }),
      );
      const s = await store.load(ID, T0 + HOUR);
      expect([...s!.ns.keys()]).toEqual(['x']);
      expect(await store.sweep(T0 + 5 * HOUR)).toBe(1);
      expect(await store.load(ID2, T0 + 5 * HOUR)).not.toBeNull();
    });

    it('touch slides the expiry', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { a: 1 } }, { create: true }));
      expect(await store.touch(ID, T0 + HOUR - 1, T0 + 2 * HOUR)).toBe(true);
      expect(await store.load(ID, T0 + HOUR + 1)).not.toBeNull();
      expect((await store.load(ID, T0 + HOUR + 1))!.version).toBe(1);
      expect(await store.touch(ID2, T0, T0 + HOUR)).toBe(false);
    });

    it('renames a session, keeping its data', async () => {
      store = await make();
      await store.commit(commit(ID, { '': { a: 1 }, spam: { b: 1 } }, { create: true }));
      await store.rename(ID, ID2, T0 + 1, T0 + HOUR);
      expect(await store.load(ID, T0)).toBeNull();
      const s = await store.load(ID2, T0);
      expect([...s!.ns.keys()].sort()).toEqual(['', 'spam']);
      await expect(store.rename(ID, ID2, T0, T0 + HOUR)).rejects.toThrow(/does not exist/);
    });

    it('lists with paging and filters, and views one', async () => {
      store = await make();
      const ids = Array.from({ length: 7 }, (_, i) => `${String(i)}`.repeat(43));
      for (const [i, id] of ids.entries()) {
        await store.commit(
          commit(
            id,
            { '': { [`k${i}`]: i * 100 }, ...(i % 2 ? { cart: { items: i } } : {}) },
            { create: true, now: T0 + i },
          ),
        );
      }
      const page = await store.list({ limit: 3, offset: 0 }, T0);
      expect(page.total).toBe(7);
      expect(page.items).toHaveLength(3);
      expect(page.items[0]!.id).toBe(ids[6]); // most recently accessed first
      const page3 = await store.list({ limit: 3, offset: 6 }, T0);
      expect(page3.items.map((s) => s.id)).toEqual([ids[0]]);
      expect((await store.list({ namespace: 'cart' }, T0)).total).toBe(3);
      expect((await store.list({ key: 'k4' }, T0)).items.map((s) => s.id)).toEqual([ids[4]]);
      expect((await store.list({ text: '500' }, T0)).items.map((s) => s.id)).toEqual([ids[5]]);
      expect((await store.list({ id: '333' }, T0)).items.map((s) => s.id)).toEqual([ids[3]]);
      expect((await store.list({ text: '%' }, T0)).total).toBe(0);
      const v = await store.view(ids[1]!, T0);
      expect(v!.namespaces).toEqual(['', 'cart']);
      expect(v!.namespaceViews[1]).toMatchObject({
        name: 'cart',
        version: 1,
        preview: prev({ items: 1 }),
      });
      expect(v!.namespaceViews[1]!.size).toBeGreaterThan(0);
      expect(await store.view(ID, T0)).toBeNull();
    });
  });
}

describe('SqliteSessionStore file', () => {
  it('keeps data across reopen and creates its folder', async () => {
    const file = path.join(tmp, 'reopen', 'deep', 'sessions.sqlite');
    const a = new SqliteSessionStore({ file });
    await a.commit(commit(ID, { '': { a: 1 } }, { create: true }));
    await a.close();
    const b = new SqliteSessionStore({ file });
    expect((await b.load(ID, T0))!.ns.get('')!.pickle.toString()).toBe('{"a":1}');
    await b.close();
  });

  it('upgrades an older schema in place, keeping its sessions', async () => {
    const file = path.join(tmp, 'v1.sqlite');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    db.exec(`CREATE TABLE sessions (id TEXT PRIMARY KEY, created INTEGER NOT NULL, accessed INTEGER NOT NULL,
               expires INTEGER NOT NULL, version INTEGER NOT NULL) WITHOUT ROWID;
             CREATE INDEX sessions_expires ON sessions (expires);
             CREATE TABLE namespaces (session TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE ON UPDATE CASCADE,
               name TEXT NOT NULL, pickle BLOB NOT NULL, preview TEXT NOT NULL, version INTEGER NOT NULL,
               PRIMARY KEY (session, name)) WITHOUT ROWID;
             PRAGMA user_version = 1;`);
    db.prepare('INSERT INTO sessions VALUES (?, ?, ?, ?, 3)').run(ID, T0, T0, T0 + HOUR);
    db.prepare('INSERT INTO namespaces VALUES (?, ?, ?, ?, 2)').run(
      ID,
      'cart',
      Buffer.from('{"n":1}'),
      '{"t":"dict","v":[]}',
    );
    db.close();
    const store = new SqliteSessionStore({ file });
    const s = await store.load(ID, T0);
    expect(s?.version).toBe(3);
    expect(s?.ns.get('cart')?.pickle.toString()).toBe('{"n":1}');
    expect(s?.ns.get('cart')?.version).toBe(2);
    await store.delete(ID); // the namespace goes with its session
    await store.close();
    const check = new Database(file);
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(
      check.prepare("SELECT name FROM sqlite_master WHERE name = 'sessions_accessed'").get(),
    ).toBeDefined();
    expect(check.prepare('SELECT count(*) AS n FROM namespaces').get()).toEqual({ n: 0 });
    check.close();
  });

  it('refuses a database from a newer PSE, naming the file', async () => {
    const file = path.join(tmp, 'newer.sqlite');
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(file);
    db.pragma('user_version = 99');
    db.close();
    expect(() => new SqliteSessionStore({ file })).toThrow(/newer\.sqlite.*schema version 99/);
  });
});
