/**
 * The request journal under real faults: another process holding its write lock, a full disk
 * (a real tmpfs), several processes writing one journal. Nothing throws, the failure is
 * reported once (and once on recovery), and the waiting entries are written afterwards.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Journal, type RequestJournal } from '../../src/engine/journal/journal.js';
import { requestDraft } from '../../src/engine/journal/record.js';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { Engine } from '../../src/engine/engine.js';
import { holdWriteLock, killChildren, runPse, servePse, writeJournal } from './children.js';
import { mountSmallDisk } from './small-disk.js';
import { requestFacts, pickleTrace } from '../helpers/journal-fixtures.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-journal-faults-'));
afterAll(() => {
  killChildren();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const facts = requestFacts;

const trace = pickleTrace;

/** Every entry of a journal, newest first, page by page. */
async function everyEntry(j: RequestJournal): Promise<JournalEntry[]> {
  const out: JournalEntry[] = [];
  for (;;) {
    const page = await j.list({
      limit: 1000,
      ...(out.length ? { before: out.at(-1)!.serial } : {}),
    });
    if (page.length === 0) return out;
    out.push(...page);
  }
}

async function until(
  what: string,
  ok: () => boolean | Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the journal under faults', () => {
  it('another process holds its write lock: nothing throws or waits, one report, all written after', async () => {
    const file = path.join(tmp, 'held', 'journal.sqlite');
    const logs: string[] = [];
    const j = new Journal({ file, size: 1000, log: (m) => logs.push(m) });
    j.record(requestDraft(facts('/before'), null, null));
    expect(j.flush()).toBe(true);
    const holder = await holdWriteLock(file);
    const serials: number[] = [];
    for (let i = 0; i < 100; i++) {
      serials.push(j.record(requestDraft(facts(`/held/${i}`), null, null)).serial);
      if (i % 10 === 0) expect(j.flush()).toBe(false);
    }
    // readers still see what was written before (WAL), and retries go on without new reports
    expect(j.listNow().map((e) => e.path)).toEqual(['/before']);
    // a lock is reported once it has lasted a second; the retries go on without new reports
    await until('the report', () => logs.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    expect(logs).toHaveLength(1);
    expect(logs[0]).toContain(file);
    expect(logs[0]).toContain('SQLITE_BUSY');
    await holder.release();
    await until(
      'the queued entries to be written',
      () => j.listNow({ limit: 1000 }).length === 101,
    );
    expect(logs).toHaveLength(2);
    expect(logs[1]).toMatch(/written again/);
    const kept = j.listNow({ limit: 1000 });
    expect(new Set(kept.map((e) => e.serial)).size).toBe(101);
    // past its reserved block, the process handed out provisional serials: each still finds
    // its entry, written under a real serial
    expect(serials.some((s) => s < 0)).toBe(true);
    expect(kept.every((e) => e.serial > 0)).toBe(true);
    serials.forEach((s, i) => expect(j.getNow(s)?.path).toBe(`/held/${i}`));
    j.close();
  });

  it('a full disk (a real tmpfs): nothing throws, one report, written once there is room', async () => {
    const disk = mountSmallDisk(2 * 1024 * 1024);
    try {
      const file = path.join(disk.dir, 'journal.sqlite');
      const logs: string[] = [];
      const j = new Journal({ file, size: 1000, log: (m) => logs.push(m) });
      j.record(requestDraft(facts('/before'), trace(null, Buffer.alloc(1000, 1)), null));
      expect(j.flush()).toBe(true);
      disk.fill();
      for (let i = 0; i < 30; i++) {
        j.record(requestDraft(facts(`/full/${i}`), trace(null, Buffer.alloc(16 * 1024, i)), null));
        expect(j.flush()).toBe(false);
      }
      expect(logs).toHaveLength(1);
      expect(logs[0]).toContain(file);
      expect(logs[0]).toContain('SQLITE_FULL');
      disk.free();
      await until(
        'the queued entries to be written',
        () => j.listNow({ limit: 1000 }).length === 31,
      );
      expect(logs[1]).toMatch(/written again/);
      const last = j.listNow({ limit: 1 })[0]!;
      expect(j.pickleNow(last.serial, '', 'after')).toEqual(Buffer.alloc(16 * 1024, 29));
      j.close();
    } finally {
      disk.dispose();
    }
  });

  it('three processes write one journal: every entry kept, under its own serial', async () => {
    const file = path.join(tmp, 'shared', 'journal.sqlite');
    const logs: string[] = [];
    const j = new Journal({ file, size: 100_000, log: (m) => logs.push(m) });
    const own: number[] = [];
    const writing = Promise.all([writeJournal(file, 400, 'a'), writeJournal(file, 400, 'b')]);
    let done = false;
    void writing.finally(() => (done = true));
    // this process writes too, while they do
    let i = 0;
    while (!done || i < 50) {
      own.push(j.record(requestDraft(facts(`/own/${i++}`), null, null)).serial);
      await new Promise((r) => setTimeout(r, 2));
    }
    const [a, b] = await writing;
    await until('the last batch to be written', () => j.flush());
    const count = 800 + own.length;
    // as handed out: no serial given twice (negative ones are provisional, each process's own)
    const handed = [...a!, ...b!, ...own].filter((s) => s > 0);
    expect(new Set(handed).size).toBe(handed.length);
    const kept = await everyEntry(j);
    expect(kept).toHaveLength(count);
    expect(new Set(kept.map((e) => e.serial)).size).toBe(count);
    for (const label of ['a', 'b', 'own']) {
      expect(kept.filter((e) => e.path.startsWith(`/${label}/`))).toHaveLength(
        label === 'own' ? own.length : 400,
      );
    }
    // an entry is stored under the serial its process announced (or found by it, if provisional)
    const bySerial = new Map(kept.map((e) => [e.serial, e.path]));
    for (const [label, list] of [
      ['a', a!],
      ['b', b!],
    ] as const)
      list.forEach((s, n) => s > 0 && expect(bySerial.get(s)).toBe(`/${label}/${n}`));
    own.forEach((s, n) => expect(j.getNow(s)?.path).toBe(`/own/${n}`));
    // writers take turns: at most a lock held long on a loaded machine is reported, no error
    expect(logs.filter((l) => !/SQLITE_BUSY|written again/.test(l))).toEqual([]);
    j.close();
  });

  it('over HTTP: a held journal lock costs no request; one report; entries written after', async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'app-'));
    fs.writeFileSync(path.join(root, 'hello.pt'), 'hello');
    fs.writeFileSync(
      path.join(root, 'count.py'),
      `from pse.plugins import session\nd = session.new()\nd['n'] = d.get('n', 0) + 1\n`,
    );
    fs.writeFileSync(path.join(root, 'count.pt'), "<?= d['n'] ?>");
    const logs: string[] = [];
    const engine = await Engine.open(root, {
      workers: 2,
      watch: false,
      logFiles: false,
      log: (l) => logs.push(l.text),
    });
    try {
      const base = (await engine.listen(0)).url.replace(/\/$/, '');
      const journal = engine.sessionService!.journal;
      const first = await fetch(`${base}/count.pt`);
      const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
      await until('the first entry', async () => (await journal.list()).length === 1);
      const holder = await holdWriteLock(path.join(root, '.pse', 'journal.sqlite'));
      const reported = (): string[] => logs.filter((l) => l.includes('journal.sqlite:'));
      let n = 1;
      // requests go on while the lock is held, until well after it is reported
      while (reported().length === 0 || n < 40) {
        const [hello, count] = await Promise.all([
          fetch(`${base}/hello.pt`),
          fetch(`${base}/count.pt`, { headers: { cookie } }),
        ]);
        expect(hello.status).toBe(200);
        expect(count.status).toBe(200);
        expect((await count.text()).trim()).toBe(String(++n));
        // paced, so that the entries held in memory until the report (a second of requests)
        // stay far below the writer's cap on a fast machine too
        await new Promise((r) => setTimeout(r, 2));
      }
      expect(reported()).toHaveLength(1);
      expect(reported()[0]).toMatch(/journal\.sqlite: cannot be written: .*SQLITE_BUSY/);
      await holder.release();
      await until(
        'the waiting entries',
        async () => (await everyEntry(journal)).length === 2 * n - 1,
      );
      await until('the recovery line', () => reported().length === 2);
      expect(reported()[1]).toMatch(/written again/);
    } finally {
      await engine.close();
    }
  });

  it('a journal damaged inside: the server starts without it and says so once', async () => {
    const root = fs.mkdtempSync(path.join(tmp, 'damaged-'));
    fs.writeFileSync(path.join(root, 'hello.pt'), 'hello');
    fs.mkdirSync(path.join(root, '.pse'));
    const file = path.join(root, '.pse', 'journal.sqlite');
    fs.writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const logs: string[] = [];
    const engine = await Engine.open(root, {
      workers: 1,
      watch: false,
      logFiles: false,
      log: (l) => logs.push(l.text),
    });
    try {
      const base = (await engine.listen(0)).url.replace(/\/$/, '');
      expect((await fetch(`${base}/hello.pt`)).status).toBe(200);
      const reported = logs.filter((l) => l.includes(file));
      expect(reported).toHaveLength(1);
      expect(reported[0]).toMatch(/running without a request journal/);
      expect(engine.sessionService!.journal.enabled).toBe(false);
    } finally {
      await engine.close();
    }
  });

  it(
    'pse serve and pse run on the same app write one journal; the server stays up',
    { timeout: 180_000 },
    async () => {
      const root = fs.mkdtempSync(path.join(tmp, 'serve-run-'));
      fs.writeFileSync(path.join(root, 'hello.pt'), 'hello');
      fs.writeFileSync(path.join(root, 'pse.conf'), '[Main]\nWorkers = 1\n');
      const { child, url } = await servePse(root);
      let stop = false;
      let answered = 0;
      const load = (async () => {
        while (!stop) {
          const r = await fetch(`${url}/hello.pt`);
          expect(r.status).toBe(200);
          await r.text();
          answered++;
        }
      })();
      const runs = [];
      for (let i = 0; i < 2; i++) runs.push(await runPse(path.join(root, 'hello.pt')));
      stop = true;
      await load;
      for (const r of runs) expect(r, r.out).toMatchObject({ code: 0 });
      expect(child.exitCode).toBeNull();
      expect((await fetch(`${url}/hello.pt`)).status).toBe(200);
      answered++;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      const j = new Journal({ file: path.join(root, '.pse', 'journal.sqlite'), size: 100_000 });
      const all = await everyEntry(j);
      expect(all.length).toBe(answered + 2);
      expect(new Set(all.map((e) => e.serial)).size).toBe(all.length);
      j.close();
    },
  );
});
