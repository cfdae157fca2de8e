/**
 * The journal's WAL is checkpointed by a thread of its own, not by the commit that crossed
 * SQLite's threshold on the event loop: the database file grows (pages copied out of the WAL)
 * while the writer's own threshold is far from reached, and nothing is lost or left running.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal } from '../../src/engine/journal/journal.js';
import { requestDraft } from '../../src/engine/journal/record.js';
import { BACKSTOP_BYTES } from '../../src/engine/wal-checkpointer.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-journal-ckpt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const BODY = 'x'.repeat(4000);

function record(j: Journal, i: number): void {
  j.record(
    requestDraft(
      {
        time: i,
        method: 'GET',
        path: `/p${i}.pt`,
        query: '',
        status: 200,
        durationMs: 1,
        worker: 1,
        lockWaitMs: 0,
      },
      null,
      null,
      { response: { status: 200, headers: [], body: BODY } },
    ),
  );
}

/** Every entry, paging back from the newest. */
async function count(j: Journal): Promise<number> {
  let n = 0;
  let before: number | undefined;
  for (;;) {
    const page = await j.list(before === undefined ? {} : { before });
    if (page.length === 0) return n;
    n += page.length;
    before = page.at(-1)!.serial;
  }
}

describe('the journal checkpoints on a thread of its own', () => {
  it('copies the WAL into the file while the writer goes on, and keeps every entry', async () => {
    const file = path.join(tmp, 'journal.sqlite');
    const j = new Journal({ file, size: 100_000 });
    const written = 2000; // ~8 MB: far below the writer's own threshold
    expect(written * BODY.length).toBeLessThan(BACKSTOP_BYTES / 4);
    for (let i = 0; i < written; i++) {
      record(j, i);
      if (i % 64 === 63) j.flush();
      // the writer tells the thread at most every 250 ms: let some of that time pass
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 300));
    }
    expect(j.flush()).toBe(true);
    const deadline = performance.now() + 10_000;
    while (fs.statSync(file).size < 4_000_000 && performance.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(fs.statSync(file).size).toBeGreaterThan(4_000_000);
    expect(await count(j)).toBe(written);
    await j.close();

    const again = new Journal({ file, size: 100_000 });
    expect(await count(again)).toBe(written);
    await again.close();
  });

  it('close() resolves in a process with nothing else to do: the thread is awaited, not left', () => {
    const file = path.join(tmp, 'alone', 'journal.sqlite');
    const script = `
      import { Journal } from ${JSON.stringify(path.resolve('src/engine/journal/journal.ts'))};
      import { requestDraft } from ${JSON.stringify(path.resolve('src/engine/journal/record.ts'))};
      const j = new Journal({ file: ${JSON.stringify(file)}, size: 100 });
      const facts = { time: 1, method: 'GET', path: '/a.pt', query: '', status: 200, durationMs: 1, worker: 1, lockWaitMs: 0 };
      j.record(requestDraft(facts, null, null));
      j.flush(); // the first write starts the checkpoint thread
      await j.close();
      console.log('closed');`;
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('closed');
    expect(r.status).toBe(0);
  });
});
