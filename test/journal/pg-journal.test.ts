/**
 * The journal a cluster shares in PostgreSQL (a throwaway schema on the test server): two
 * writers on one table, serials unique and in order, the process each entry names, pickles,
 * filters, the size cap, clearing, and following the other writers (LISTEN/NOTIFY).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { Engine } from '../../src/engine/engine.js';
import { RequestEvents } from '../../src/engine/journal/events.js';
import { PgJournal } from '../../src/engine/journal/pg-journal.js';
import { notices } from '../../src/engine/journal/pg-notices.js';
import { requestDraft } from '../../src/engine/journal/record.js';
import { SessionEvents, type SessionChangedEvent } from '../../src/engine/session/events.js';
import { migratePg } from '../../src/engine/session/pg-schema.js';
import { sql, TEST_PG, TEST_PG_URL, testSchema } from '../helpers/pg.js';
import { requestFacts, pickleTrace } from '../helpers/journal-fixtures.js';

const schema = testSchema();
let tableNo = 0;
const open: PgJournal[] = [];

/** A migrated table of its own, as a store's open would leave it. */
async function freshTable(): Promise<string> {
  const table = schema.table(`j${tableNo++}`);
  const c = new pg.Client({ connectionString: TEST_PG_URL });
  await c.connect();
  try {
    await migratePg(c, table);
  } finally {
    await c.end();
  }
  return table;
}

async function journal(
  table: string,
  o: { size?: number; follow?: boolean; events?: RequestEvents; sessions?: SessionEvents } = {},
): Promise<PgJournal> {
  const j = await PgJournal.open({
    target: TEST_PG,
    table,
    size: o.size ?? 1000,
    maxBytes: 0,
    log: () => undefined,
    ...(o.follow ? { follow: true } : {}),
    ...(o.events ? { events: o.events } : {}),
    ...(o.sessions ? { sessions: o.sessions } : {}),
  });
  open.push(j);
  return j;
}

const facts = requestFacts;

const ID = 'S'.repeat(43);
const trace = pickleTrace;

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  await sql(`CREATE SCHEMA ${schema.schema}`);
});

afterAll(async () => {
  for (const j of open) await j.close();
  await schema.drop();
});

describe('the PostgreSQL journal', () => {
  it('two writers: unique serials, newest first, each entry naming its process', async () => {
    const table = await freshTable();
    const a = await journal(table);
    const b = await journal(table);
    const mine: JournalEntry[] = [];
    for (let i = 0; i < 100; i++) {
      mine.push(a.record(requestDraft(facts(`/a/${i}`), null, null)));
      mine.push(b.record(requestDraft(facts(`/b/${i}`), null, null)));
    }
    // A burst of 100 outruns the first block: the rest get provisional (negative) serials,
    // renumbered when written. The reserved ones are unique across both writers.
    const reserved = mine.map((e) => e.serial).filter((s) => s > 0);
    expect(reserved.length).toBeGreaterThanOrEqual(2 * 64);
    expect(new Set(reserved).size).toBe(reserved.length);
    const listed = await a.list({ limit: 1000 });
    await b.flush();
    const all = await a.list({ limit: 1000 });
    expect(listed.length).toBeGreaterThanOrEqual(100);
    expect(all).toHaveLength(200);
    const written = all.map((e) => e.serial);
    expect(new Set(written).size).toBe(200);
    expect(written).toEqual([...written].sort((x, y) => y - x));
    expect(written.every((s) => s > 0)).toBe(true);
    // each writer's entries stay in the order its requests started
    for (const w of ['/a/', '/b/']) {
      const own = [...all].reverse().filter((e) => e.path.startsWith(w));
      expect(own.map((e) => e.path)).toEqual(
        mine.filter((e) => e.path.startsWith(w)).map((e) => e.path),
      );
    }
    // every entry is found by the serial its request started with, by its own writer
    for (const e of mine)
      expect((await (e.path.startsWith('/a/') ? a : b).get(e.serial))?.path).toBe(e.path);
    // a busy writer reserves more than one block at a time: a next burst of a block's worth
    // is served from reserved serials
    await new Promise((r) => setTimeout(r, 50));
    const next = Array.from({ length: 64 }, (_, i) =>
      a.record(requestDraft(facts(`/c/${i}`), null, null)),
    );
    expect(next.filter((e) => e.serial < 0)).toEqual([]);
    expect(all[0]!.servedBy).toEqual({ host: os.hostname(), pid: process.pid, instance: 0 });
    // the process is a column too, for queries of the table itself (once the burst is written)
    await a.flush();
    const rows = await sql<{ host: string; pid: number; instance: number; n: string }>(
      `SELECT host, pid, instance, count(*) AS n FROM ${table}_journal GROUP BY 1, 2, 3`,
    );
    expect(rows).toEqual([{ host: os.hostname(), pid: process.pid, instance: 0, n: '264' }]);
  });

  it('an idle writer files its next entry after the others, not under its old serials', async () => {
    const table = await freshTable();
    const idle = await journal(table);
    const busy = await journal(table);
    idle.record(requestDraft(facts('/idle/0'), null, null));
    await idle.flush();
    // the other writer reserves later serials and uses them
    for (let i = 0; i < 5; i++) busy.record(requestDraft(facts(`/busy/${i}`), null, null));
    await busy.flush();
    // a while later (the idle writer's block is stale), it serves a request
    const now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now + 5000);
    try {
      const late = idle.record(requestDraft(facts('/idle/1'), null, null));
      await idle.flush();
      const list = await idle.list();
      expect(list[0]!.path).toBe('/idle/1');
      expect(list[0]!.serial).toBeGreaterThan(Math.max(...list.slice(1).map((e) => e.serial)));
      // found by the serial its request started with, too
      expect((await idle.get(late.serial))?.path).toBe('/idle/1');
    } finally {
      clock.mockRestore();
    }
  });

  it('a follower renews its serials when it hears others write past them, and keeps them', async () => {
    const table = await freshTable();
    const studio = await journal(table, { follow: true, events: new RequestEvents() });
    const other = await journal(table);
    const now = performance.now();
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now + 5000);
    try {
      // the follower's block is old now; another writer reserves and writes later serials
      other.record(requestDraft(facts('/other'), null, null));
      await other.flush();
      const written = (await other.list())[0]!.serial;
      await until('a fresh block', () => studio.takeSerial() > written);
      const mine = studio.record(requestDraft(facts('/studio'), null, null));
      expect(mine.serial).toBeGreaterThan(written);
      // written under the serial it was shown with
      expect((await studio.list())[0]).toMatchObject({ path: '/studio', serial: mine.serial });
    } finally {
      clock.mockRestore();
    }
  });

  it('keeps pickles, filters like the SQLite journal, pages backwards', async () => {
    const table = await freshTable();
    const j = await journal(table);
    const e1 = j.record(requestDraft(facts('/cart.pt'), trace(null, Buffer.from('v1')), null));
    const e2 = j.record(
      requestDraft(facts('/pay.pt'), trace(Buffer.from('v1'), Buffer.from('v2')), null),
    );
    j.record(requestDraft(facts('/hello.pt'), null, null));
    // text PostgreSQL cannot hold as such (NUL) is kept all the same
    const odd = j.record(
      requestDraft(facts('/nul\0.pt'), null, null, {
        logs: [{ at: 0, level: 'INFO', msg: 'a\0b' }],
      }),
    );
    expect((await j.get(odd.serial))?.logs?.[0]?.msg).toBe('a\0b');
    expect((await j.list({ path: '/nul' }))[0]?.path).toBe('/nul\0.pt');
    expect((await j.pickle(e2.serial, '', 'before'))?.toString()).toBe('v1');
    expect((await j.pickle(e2.serial, '', 'after'))?.toString()).toBe('v2');
    expect(await j.pickle(e1.serial, '', 'before')).toBeNull();
    expect((await j.list({ sessionId: ID })).map((e) => e.path)).toEqual(['/pay.pt', '/cart.pt']);
    expect((await j.list({ path: 'ell' })).map((e) => e.path)).toEqual(['/hello.pt']);
    expect((await j.list({ outcome: 'read_only', path: 'ell' })).map((e) => e.path)).toEqual([
      '/hello.pt',
    ]);
    expect((await j.list({ before: e2.serial })).map((e) => e.path)).toEqual(['/cart.pt']);
    expect((await j.get(e2.serial))?.restorable).toEqual([{ name: '', before: true, after: true }]);
  });

  it('keeps the newest JournalSize entries; clearing forgets them for every writer', async () => {
    const table = await freshTable();
    const j = await journal(table, { size: 10 });
    for (let i = 0; i < 30; i++) j.record(requestDraft(facts(`/n/${i}`), null, null));
    await j.flush();
    // the cap is applied at most once a second, by whichever process writes next
    await new Promise((r) => setTimeout(r, 1100));
    j.record(requestDraft(facts('/n/30'), null, null));
    const kept = await j.list({ limit: 100 });
    expect(kept.length).toBeLessThanOrEqual(11);
    expect(kept[0]!.path).toBe('/n/30');
    const other = await journal(table);
    await j.clear();
    expect(await other.list()).toEqual([]);
  });

  it("a follower hears the other writers' entries and session changes, not its own", async () => {
    const table = await freshTable();
    const heard = new RequestEvents();
    const heardSessions = new SessionEvents();
    const follower = await journal(table, {
      follow: true,
      events: heard,
      sessions: heardSessions,
    });
    const writerSessions = new SessionEvents();
    const writer = await journal(table, { sessions: writerSessions });
    const entries: JournalEntry[] = [];
    const changes: SessionChangedEvent[] = [];
    heard.on('requestFinished', (e) => entries.push(e));
    heardSessions.on('sessionChanged', (e) => changes.push(e));

    const written = writer.record(requestDraft(facts('/remote.pt'), null, null));
    writerSessions.emit('sessionChanged', { id: ID, version: 4, namespaces: [''], by: 'request' });
    await until('the remote entry', () => entries.some((e) => e.path === '/remote.pt'));
    await until('the remote session change', () => changes.length === 1);
    expect(entries.find((e) => e.path === '/remote.pt')!.serial).toBe(written.serial);
    expect(changes[0]).toEqual({ id: ID, version: 4, namespaces: [''], by: 'request' });

    // its own entry is heard once (from record), and its relayed changes are not sent back
    follower.record(requestDraft(facts('/own.pt'), null, null));
    await follower.flush();
    await writer.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(entries.filter((e) => e.path === '/own.pt')).toHaveLength(1);
    expect(changes).toHaveLength(1);
  });

  it('splits a long batch into NOTIFY payloads PostgreSQL accepts', () => {
    const serials = Array.from({ length: 3000 }, (_, i) => 1_000_000 + i);
    const changes = Array.from({ length: 200 }, (_, i) => ({
      id: `${'x'.repeat(40)}${i}`,
      version: i,
      namespaces: ['', 'cart'],
      by: 'request' as const,
    }));
    const payloads = notices('w', serials, changes);
    expect(payloads.length).toBeGreaterThan(1);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    const back = payloads.map((p) => JSON.parse(p) as { s: number[]; c: unknown[] });
    expect(back.flatMap((n) => n.s)).toEqual(serials);
    expect(back.flatMap((n) => n.c)).toEqual(changes);
  });
});

describe('which journal an app gets', () => {
  async function appWith(conf: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-pgjournal-'));
    fs.writeFileSync(path.join(dir, 'pse.conf'), conf);
    fs.writeFileSync(
      path.join(dir, 'count.py'),
      "from pse.plugins import session\nd = session.new()\nd['n'] = d.get('n', 0) + 1\n",
    );
    fs.writeFileSync(path.join(dir, 'count.pt'), '<?= 1 ?>');
    return dir;
  }

  async function served(conf: string): Promise<{ kind: string; dir: string }> {
    const dir = await appWith(conf);
    const engine = await Engine.open(dir, { workers: 1, watch: false, logFiles: false });
    try {
      const res = await engine.handle({ method: 'GET', url: '/count.pt' });
      expect(res.status).toBe(200);
      const journal = engine.sessionService!.journal;
      expect((await journal.list()).map((e) => e.path)).toEqual(['/count.pt']);
      return { kind: journal instanceof PgJournal ? 'postgresql' : 'sqlite', dir };
    } finally {
      await engine.close();
    }
  }

  it('PostgreSQL sessions: the shared journal by default; `Journal = file` keeps the file', async () => {
    const table = schema.table(`j${tableNo++}`);
    const pgConf = `[plugins.session]\nType = postgresql\nDatabase = ${TEST_PG_URL}\nTable = ${table}\n`;
    const shared = await served(pgConf);
    expect(shared.kind).toBe('postgresql');
    expect(fs.existsSync(path.join(shared.dir, '.pse', 'journal.sqlite'))).toBe(false);
    expect(await sql(`SELECT path FROM ${table}_journal`)).toEqual([{ path: '/count.pt' }]);
    const file = await served(`${pgConf}[Studio]\nJournal = file\n`);
    expect(file.kind).toBe('sqlite');
    expect(fs.existsSync(path.join(file.dir, '.pse', 'journal.sqlite'))).toBe(true);
    // the shared table got nothing more
    expect(await sql(`SELECT path FROM ${table}_journal`)).toHaveLength(1);
    for (const d of [shared.dir, file.dir]) fs.rmSync(d, { recursive: true, force: true });
  }, 120_000);

  it('SQLite sessions: the journal file, as always', async () => {
    const r = await served('[Main]\n');
    expect(r.kind).toBe('sqlite');
    expect(fs.existsSync(path.join(r.dir, '.pse', 'journal.sqlite'))).toBe(true);
    fs.rmSync(r.dir, { recursive: true, force: true });
  }, 120_000);
});
