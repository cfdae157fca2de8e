/**
 * The shared journal when its PostgreSQL server goes away and comes back (a throwaway server,
 * stopped and started): recording never throws or waits, one log line each way, the entries
 * recorded meanwhile are written once it is back, and a follower listens again by itself.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { parsePgTarget } from '../../src/engine/config/pg-target.js';
import { RequestEvents } from '../../src/engine/journal/events.js';
import { PgJournal } from '../../src/engine/journal/pg-journal.js';
import { requestDraft } from '../../src/engine/journal/record.js';
import { migratePg } from '../../src/engine/session/pg-schema.js';
import { throwawayCluster, type ThrowawayCluster } from '../helpers/pg-cluster.js';
import { requestFacts } from '../helpers/journal-fixtures.js';

let cluster: ThrowawayCluster;
const journals: PgJournal[] = [];

beforeAll(async () => {
  cluster = await throwawayCluster();
  await cluster.start();
  const c = new pg.Client({ connectionString: cluster.url });
  await c.connect();
  await migratePg(c, 'pse_session');
  await c.end();
}, 120_000);

afterAll(async () => {
  for (const j of journals) await j.close();
  await cluster?.destroy();
});

const facts = requestFacts;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the PostgreSQL journal under faults', () => {
  it('the server lost and back: nothing throws, one report each way, every entry written after', async () => {
    const logs: string[] = [];
    const heard = new RequestEvents();
    const entries: JournalEntry[] = [];
    heard.on('requestFinished', (e) => entries.push(e));
    const open = (o: { follow?: boolean; events?: RequestEvents }) =>
      PgJournal.open({
        target: parsePgTarget(cluster.url),
        table: 'pse_session',
        size: 1000,
        maxBytes: 0,
        log: (m) => logs.push(m),
        ...o,
      }).then((j) => (journals.push(j), j));
    const writer = await open({});
    const follower = await open({ follow: true, events: heard });
    writer.record(requestDraft(facts('/before'), null, null));
    await until('the first entry, live', () => entries.some((e) => e.path === '/before'));

    await cluster.stop('immediate');
    for (let i = 0; i < 5; i++) writer.record(requestDraft(facts(`/down/${i}`), null, null));
    expect(await writer.flush()).toBe(false);
    expect(logs.filter((l) => l.includes('cannot be written'))).toHaveLength(1);
    expect(logs.join('\n')).toMatch(/pse_session_journal: cannot be written/);

    await cluster.start();
    await until('the waiting entries written', () => writer.flush());
    expect(logs.filter((l) => l.includes('written again'))).toHaveLength(1);
    const paths = (await writer.list({ limit: 100 })).map((e) => e.path);
    expect(paths).toEqual(['/down/4', '/down/3', '/down/2', '/down/1', '/down/0', '/before']);
    // the follower listens again by itself, and hears what comes next
    await until('the follower back', () =>
      logs.some((l) => l.includes('following the cluster again')),
    );
    writer.record(requestDraft(facts('/after'), null, null));
    await until('the next entry, live', () => entries.some((e) => e.path === '/after'));
    expect((await follower.list({ limit: 1 }))[0]!.path).toBe('/after');
  }, 120_000);
});
