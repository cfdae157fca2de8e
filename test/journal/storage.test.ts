/**
 * How the journal's file is laid out: its page size, the session index (on a 32-bit key of the
 * id, so two ids may share a key), the migration of a journal written by an earlier PSE, and
 * the trim counted from the oldest end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, PAGE_SIZE } from '../../src/engine/journal/journal.js';
import { requestDraft } from '../../src/engine/journal/record.js';
import { sessionKey } from '../../src/engine/journal/session-key.js';
import type { SessionTrace } from '../../src/engine/session/ticket.js';
import { facts } from './helpers/facts.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-journal-storage-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function read(sessionId: string): SessionTrace {
  return { sessionId, outcome: 'read_only', changes: [], saves: [], pickles: new Map() };
}

/** The schema and rows an earlier PSE (journal schema 2) left, with 4 KiB pages. */
function writeVersion2(file: string, rows: { serial: number; session: string | null }[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('page_size = 4096');
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE entries (
     serial INTEGER PRIMARY KEY, time INTEGER NOT NULL, session TEXT, outcome TEXT NOT NULL,
     path TEXT NOT NULL, entry TEXT NOT NULL, bytes INTEGER NOT NULL DEFAULT 0);
   CREATE INDEX entries_session ON entries (session, serial);
   CREATE TABLE pickles (serial INTEGER NOT NULL, name TEXT NOT NULL,
     phase TEXT NOT NULL CHECK (phase IN ('before', 'after')), pickle BLOB NOT NULL,
     PRIMARY KEY (serial, name, phase)) WITHOUT ROWID;
   CREATE TABLE serials (id INTEGER PRIMARY KEY CHECK (id = 1), next INTEGER NOT NULL,
     count INTEGER NOT NULL, bytes INTEGER NOT NULL);`);
  const insert = db.prepare(
    'INSERT INTO entries (serial, time, session, outcome, path, entry, bytes) VALUES (?, 1, ?, ?, ?, ?, ?)',
  );
  for (const { serial, session } of rows) {
    const entry = JSON.stringify({
      ...facts,
      serial,
      sessionId: session,
      outcome: session ? 'read_only' : 'no_session',
      changes: [],
      saves: [],
      restorable: [],
    });
    insert.run(serial, session, session ? 'read_only' : 'no_session', '/a.pt', entry, entry.length);
  }
  db.prepare('INSERT INTO serials VALUES (1, ?, ?, 0)').run(rows.length + 1, rows.length);
  db.pragma('user_version = 2');
  db.close();
}

describe('the journal file', () => {
  it('a new journal has 16 KiB pages', () => {
    const file = path.join(tmp, 'new', 'j.sqlite');
    const j = new Journal({ file, size: 100 });
    j.record(requestDraft(facts, read('A'.repeat(43)), null));
    j.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('page_size', { simple: true })).toBe(PAGE_SIZE);
    expect(PAGE_SIZE).toBe(16_384);
    db.close();
  });

  it("finds a session's entries by id when another id shares its index key", () => {
    const [a, b] = ['session-13pwu', 'session-1a5fa'];
    expect(sessionKey(a)).toBe(sessionKey(b)); // the two collide: the id itself decides
    const j = new Journal({ file: path.join(tmp, 'collide', 'j.sqlite'), size: 100 });
    const serials = { [a]: [] as number[], [b]: [] as number[] };
    for (let i = 0; i < 6; i++) {
      const id = i % 3 ? a : b;
      serials[id]!.unshift(j.record(requestDraft(facts, read(id), null)).serial);
    }
    j.record(requestDraft(facts, null, null));
    expect(j.listNow({ sessionId: a }).map((e) => e.serial)).toEqual(serials[a]);
    expect(j.listNow({ sessionId: b }).map((e) => e.serial)).toEqual(serials[b]);
    expect(j.listNow({ sessionId: 'session-none' })).toEqual([]);
    j.close();
  });

  it('migrates an earlier journal: its rows are keyed, found by session, and kept with its pages', () => {
    const file = path.join(tmp, 'v2', 'j.sqlite');
    const old = 'O'.repeat(43);
    writeVersion2(file, [
      { serial: 1, session: old },
      { serial: 2, session: null },
      { serial: 3, session: old },
    ]);
    const j = new Journal({ file, size: 100 });
    const added = j.record(requestDraft(facts, read(old), null)).serial;
    expect(added).toBe(4);
    expect(j.listNow({ sessionId: old }).map((e) => e.serial)).toEqual([4, 3, 1]);
    expect(j.listNow().map((e) => e.serial)).toEqual([4, 3, 2, 1]);
    j.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    expect(db.pragma('page_size', { simple: true })).toBe(4096);
    const indexes = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'entries'")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(indexes).toEqual(['entries_sid']);
    const keys = db.prepare('SELECT serial, sid FROM entries ORDER BY serial').all();
    expect(keys).toEqual([
      { serial: 1, sid: sessionKey(old) },
      { serial: 2, sid: null },
      { serial: 3, sid: sessionKey(old) },
      { serial: 4, sid: sessionKey(old) },
    ]);
    // the query by session uses the key's index, not a scan of every entry
    const plan = db
      .prepare(
        'EXPLAIN QUERY PLAN SELECT entry FROM entries WHERE sid = 1 AND session = ? ORDER BY serial DESC',
      )
      .all('x')
      .map((r) => (r as { detail: string }).detail)
      .join('\n');
    expect(plan).toContain('entries_sid');
    db.close();
  });

  it('trims to the newest entries when serials have gaps (blocks of other processes)', () => {
    const file = path.join(tmp, 'gaps', 'j.sqlite');
    // an earlier journal whose serials jump: 1..5, then 100..104 (another process's block)
    const rows = [1, 2, 3, 4, 5, 100, 101, 102, 103, 104].map((serial) => ({
      serial,
      session: null,
    }));
    writeVersion2(file, rows);
    const db = new Database(file);
    db.prepare('UPDATE serials SET next = 105').run();
    db.close();
    const j = new Journal({ file, size: 8 });
    const added = [0, 1, 2].map(() => j.record(requestDraft(facts, null, null)).serial);
    expect(added).toEqual([105, 106, 107]);
    // 13 entries over a cap of 8: trimmed to the newest 8 (TRIM_TO of 8 rounds to 8)
    expect(j.listNow({ limit: 100 }).map((e) => e.serial)).toEqual([
      107, 106, 105, 104, 103, 102, 101, 100,
    ]);
    j.close();
  });

  it('trims to the newest entries within JournalMaxBytes, and no further', () => {
    const file = path.join(tmp, 'bytes', 'j.sqlite');
    const maxBytes = 1024 * 1024;
    const target = Math.floor(maxBytes * 0.95);
    const j = new Journal({ file, size: 10_000, maxBytes });
    const db = new Database(file, { readonly: true });
    const totals = db.prepare<[], { count: number; bytes: number; largest: number }>(
      'SELECT count(*) AS count, sum(bytes) AS bytes, max(bytes) AS largest FROM entries',
    );
    const value = Buffer.alloc(10_000, 1);
    let trims = 0;
    let before = 0;
    for (let i = 0; i < 250; i++) {
      const pickles = new Map([['', { before: null, after: value }]]);
      j.record(
        requestDraft(facts, { ...read('B'.repeat(43)), outcome: 'committed', pickles }, null),
      );
      j.flush();
      const t = totals.get()!;
      expect(t.bytes).toBeLessThanOrEqual(maxBytes);
      if (t.count <= before) {
        // just trimmed: down to the target, and not one entry more than needed
        trims++;
        expect(t.bytes).toBeLessThanOrEqual(target);
        expect(t.bytes + t.largest).toBeGreaterThan(target);
      }
      before = t.count;
    }
    expect(trims).toBeGreaterThan(2);
    db.close();
    j.close();
  });
});
