/**
 * Opening a SQLite file while another process opens it too: SQLite answers SQLITE_BUSY at once
 * where waiting could deadlock, so the open is tried again until its deadline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openConfigured } from '../../src/engine/sqlite.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-open-configured-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function busy(): Error {
  return Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
}

it('tries the set-up again, on a fresh connection, while it meets a lock', () => {
  const file = path.join(dir, 'a.sqlite');
  let tries = 0;
  const db = openConfigured(
    file,
    (db) => {
      if (++tries < 3) throw busy();
      db.pragma('journal_mode = WAL');
    },
    2000,
  );
  expect(tries).toBe(3);
  expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  db.close();
});

it('gives up with the lock error at its deadline, and fails at once on any other error', () => {
  const file = path.join(dir, 'b.sqlite');
  const started = performance.now();
  expect(() =>
    openConfigured(
      file,
      () => {
        throw busy();
      },
      150,
    ),
  ).toThrow(/database is locked/);
  const waited = performance.now() - started;
  expect(waited).toBeGreaterThanOrEqual(50);
  expect(waited).toBeLessThan(2000);

  let tries = 0;
  expect(() =>
    openConfigured(
      file,
      () => {
        tries++;
        throw new Error('no such table: sessions');
      },
      2000,
    ),
  ).toThrow(/no such table/);
  expect(tries).toBe(1);
});
