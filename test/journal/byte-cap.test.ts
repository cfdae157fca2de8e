import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/engine/config/index.js';
import { DEFAULT_JOURNAL_MAX_BYTES } from '../../src/engine/config/load.js';
import { Journal } from '../../src/engine/journal/journal.js';
import { requestDraft } from '../../src/engine/journal/record.js';
import type { SessionTrace } from '../../src/engine/session/ticket.js';
import { facts } from './helpers/facts.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-journal-bytes-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function trace(before: Buffer | null, after: Buffer | null): SessionTrace {
  return {
    sessionId: 'S'.repeat(43),
    outcome: 'committed',
    changes: [
      {
        name: 'big',
        before: null,
        after: { t: 'dict', v: [] },
        diff: { added: [], removed: [], changed: [] },
      },
    ],
    saves: [],
    pickles: new Map([['big', { before, after }]]),
  };
}

describe('the journal is capped in bytes', () => {
  it('[Studio] JournalMaxBytes: parsed as a size, 256 MiB by default', () => {
    const root = path.join(tmp, 'conf');
    expect(parseConfig('[Main]\n', root).studio.journalMaxBytes).toBe(DEFAULT_JOURNAL_MAX_BYTES);
    expect(parseConfig('[Studio]\nJournalMaxBytes = 10M\n', root).studio.journalMaxBytes).toBe(
      10 * 1024 * 1024,
    );
  });

  it('a value over the per-value bound is kept as its size and SHA-256, and is not restorable', () => {
    const j = new Journal({
      file: path.join(tmp, 'big', 'j.sqlite'),
      size: 100,
      maxBytes: 256 << 20,
    });
    const before = Buffer.alloc(20 * 1024 * 1024, 7);
    const after = Buffer.alloc(20 * 1024 * 1024 + 1, 8);
    const e = j.record(requestDraft(facts, trace(before, after), null));
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(e.tooLarge).toEqual([
      { name: 'big', phase: 'before', size: before.length, sha256: sha(before) },
      { name: 'big', phase: 'after', size: after.length, sha256: sha(after) },
    ]);
    expect(e.restorable).toEqual([]);
    expect(j.getNow(e.serial)?.tooLarge).toEqual(e.tooLarge);
    expect(j.pickleNow(e.serial, 'big', 'after')).toBeNull();
    // a small value next to it is kept as before
    const small = j.record(requestDraft(facts, trace(null, Buffer.from('small')), null));
    expect(small.tooLarge).toBeUndefined();
    expect(j.pickleNow(small.serial, 'big', 'after')?.toString()).toBe('small');
    j.close();
    // 40 MB of values, a few hundred bytes on disk
    expect(fs.statSync(path.join(tmp, 'big', 'j.sqlite')).size).toBeLessThan(1024 * 1024);
  });

  it('keeps the newest entries within JournalMaxBytes', () => {
    const maxBytes = 1024 * 1024;
    const j = new Journal({ file: path.join(tmp, 'cap', 'j.sqlite'), size: 10_000, maxBytes });
    const value = (i: number): Buffer => Buffer.alloc(10 * 1024, i % 256);
    let last = 0;
    for (let i = 0; i < 300; i++) {
      last = j.record(requestDraft(facts, trace(value(i), value(i + 1)), null)).serial;
      if (i % 10 === 0) j.flush();
    }
    j.flush();
    const kept = j.listNow({ limit: 1000 });
    // each entry holds 20 KiB of pickles: about 50 fit in 1 MiB
    expect(kept.length).toBeGreaterThan(30);
    expect(kept.length).toBeLessThanOrEqual(Math.floor(maxBytes / (20 * 1024)));
    expect(kept[0]!.serial).toBe(last);
    expect(kept.map((e) => e.serial)).toEqual(
      Array.from({ length: kept.length }, (_, k) => last - k),
    );
    expect(j.pickleNow(last, 'big', 'after')).toEqual(value(300));
    j.close();
  });
});
