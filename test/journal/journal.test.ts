import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal/journal.js';
import {
  causeOf,
  recordRequest,
  recordResponse,
  requestDraft,
} from '../../src/engine/journal/record.js';
import { RequestEvents } from '../../src/engine/journal/events.js';
import type { SessionTrace } from '../../src/engine/session/ticket.js';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { facts } from './helpers/facts.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-journal-'));

function trace(
  outcome: SessionTrace['outcome'],
  before: Buffer | null,
  after: Buffer | null,
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

describe('Journal', () => {
  it('records entries with serials, pickles, and survives a reopen', () => {
    const file = path.join(tmp, 'a', 'journal.sqlite');
    const j = new Journal({ file, size: 100 });
    const e1 = j.record(requestDraft(facts, trace('committed', null, Buffer.from('v1')), null));
    const e2 = j.record(
      requestDraft(
        { ...facts, path: '/b.pt' },
        trace('committed', Buffer.from('v1'), Buffer.from('v2')),
        null,
      ),
    );
    expect(e2.serial).toBe(e1.serial + 1);
    expect(e1.restorable).toEqual([{ name: '', before: false, after: true }]);
    expect(j.listNow().map((e) => e.serial)).toEqual([e2.serial, e1.serial]);
    expect(j.pickleNow(e2.serial, '', 'before')?.toString()).toBe('v1');
    expect(j.pickleNow(e2.serial, '', 'after')?.toString()).toBe('v2');
    expect(j.pickleNow(e1.serial, '', 'before')).toBeNull();
    j.close();
    const again = new Journal({ file, size: 100 });
    expect(again.getNow(e2.serial)?.path).toBe('/b.pt');
    expect(again.record(requestDraft(facts, null, null)).serial).toBe(e2.serial + 1);
    again.close();
  });

  it('filters and pages', () => {
    const j = new Journal({ file: ':memory:', size: 100 });
    for (let i = 0; i < 10; i++) {
      j.record(
        requestDraft(
          { ...facts, path: `/p${i % 2}.pt` },
          i % 3 ? null : trace('committed', null, Buffer.from('x')),
          null,
        ),
      );
    }
    expect(j.listNow({ limit: 3 }).map((e) => e.serial)).toEqual([10, 9, 8]);
    expect(j.listNow({ before: 8, limit: 2 }).map((e) => e.serial)).toEqual([7, 6]);
    expect(j.listNow({ path: 'p1' })).toHaveLength(5);
    expect(j.listNow({ sessionId: 'S'.repeat(43) }).map((e) => e.serial)).toEqual([10, 7, 4, 1]);
    expect(j.listNow({ outcome: 'read_only' })).toHaveLength(6);
    j.close();
  });

  it('keeps only the newest `size` entries, with their pickles', () => {
    const j = new Journal({ file: ':memory:', size: 5 });
    for (let i = 0; i < 12; i++)
      j.record(
        requestDraft(facts, trace('committed', Buffer.from(`b${i}`), Buffer.from(`a${i}`)), null),
      );
    const kept = j.listNow().map((e) => e.serial);
    expect(kept).toEqual([12, 11, 10, 9, 8]);
    expect(j.pickleNow(7, '', 'after')).toBeNull();
    expect(j.pickleNow(8, '', 'after')?.toString()).toBe('a7');
    j.close();
  });

  it('switched off (size 0): records nothing but still emits events', () => {
    const events = new RequestEvents();
    const seen: JournalEntry[] = [];
    events.on('requestFinished', (e) => seen.push(e));
    const j = new Journal({ file: path.join(tmp, 'off', 'j.sqlite'), size: 0, events });
    j.record(requestDraft(facts, null, null));
    expect(j.enabled).toBe(false);
    expect(j.listNow()).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(fs.existsSync(path.join(tmp, 'off'))).toBe(false);
  });

  it('records a rollback cause from the innermost template or module frame', () => {
    const cause = causeOf({
      kind: 'exception',
      error: {
        type: 'ZeroDivisionError',
        message: 'division by zero',
        text: '',
        frames: [
          { file: '/app/x.py', line: 3, name: '<module>', kind: 'module', source: 'n = f()' },
          {
            file: '/app/x.pt',
            line: 7,
            col: 4,
            name: '<template>',
            kind: 'template',
            source: '<?= 1/0 ?>',
          },
          { file: '/usr/lib/python3.11/foo.py', line: 9, name: 'g', kind: 'other' },
        ],
      },
    });
    expect(cause).toEqual({
      kind: 'exception',
      type: 'ZeroDivisionError',
      message: 'division by zero',
      file: '/app/x.pt',
      line: 7,
      col: 4,
      source: '<?= 1/0 ?>',
    });
    const d = requestDraft({ ...facts, status: 504 }, null, {
      kind: 'timeout',
      message: 'RequestTimeout 30 s',
    });
    expect(d.outcome).toBe('rolled_back');
    expect(d.cause).toEqual({ kind: 'timeout', message: 'RequestTimeout 30 s' });
  });

  it('records request and response for replay, capped', () => {
    const req = recordRequest(
      [
        ['Cookie', 'pse_session=abc; x=1'],
        ['Host', 'h'],
      ],
      [
        ['name', 'Nick'],
        ['f', { filename: 'a.txt', type: 'text/plain', size: 3 }],
      ],
      Buffer.from('name=Nick'),
    );
    expect(req.cookies).toEqual({ pse_session: 'abc', x: '1' });
    expect(req.form).toEqual([
      ['name', 'Nick'],
      ['f', '<upload a.txt (text/plain, 3 bytes)>'],
    ]);
    expect(req.body).toBe('name=Nick');
    const res = recordResponse(200, [['Content-Type', 'text/html']], Buffer.alloc(100, 'x'), 10);
    expect(res).toEqual({
      status: 200,
      headers: [['Content-Type', 'text/html']],
      body: 'xxxxxxxxxx',
      bodyTruncated: true,
    });
  });
});
