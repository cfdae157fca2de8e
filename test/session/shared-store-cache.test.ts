/**
 * The shared SQLite store keeps loaded sessions in memory too, and trusts them only while no
 * other connection to its file has committed: a change made by another process (here, another
 * store on the same file, a connection of its own) is seen by the next load, never hidden by
 * what was kept. A session with a pickle left unread is not kept.
 */
import { describe, expect, it } from 'vitest';
import type { PreviewValue } from '../../src/common/types/session.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import type { SessionCommit } from '../../src/engine/session/store.js';
import { HOUR, storeFolder, T0 } from '../helpers/sqlite-stores.js';

const folder = storeFolder('pse-shared-cache-');
const ID = 'S'.repeat(43);
const preview: PreviewValue = { t: 'dict', v: [] };

function shared(file: string): SqliteSessionStore {
  return folder.keep(new SqliteSessionStore({ file }));
}

function commit(
  over: Partial<Omit<SessionCommit, 'upsert'>> & { upsert?: Record<string, Buffer> } = {},
): SessionCommit {
  return {
    id: ID,
    now: T0,
    expires: T0 + HOUR,
    delete: [],
    ...over,
    upsert: new Map(Object.entries(over.upsert ?? {}).map(([k, p]) => [k, { pickle: p, preview }])),
  };
}

describe('the shared SQLite store in memory', () => {
  it('serves a session again from memory while nobody else commits', async () => {
    const a = shared(folder.file());
    await a.commit(commit({ create: true, upsert: { '': Buffer.from('one') } }));
    const first = await a.load(ID, T0);
    expect(await a.load(ID, T0)).toBe(first);
    // its own commit is written through: still no read of the file
    await a.commit(commit({ expectVersion: first!.version, upsert: { '': Buffer.from('two') } }));
    const second = await a.load(ID, T0);
    expect(second!.ns.get('')!.pickle.toString()).toBe('two');
    expect(await a.load(ID, T0)).toBe(second);
  });

  it("sees another connection's commit, touch and delete at the next load", async () => {
    const file = folder.file();
    const a = shared(file);
    const b = shared(file);
    await a.commit(commit({ create: true, upsert: { '': Buffer.from('a') } }));
    const kept = (await a.load(ID, T0))!;
    expect(kept.version).toBe(1);

    const seen = (await b.load(ID, T0))!;
    await b.commit(commit({ expectVersion: seen.version, upsert: { '': Buffer.from('b') } }));
    const after = (await a.load(ID, T0))!;
    expect(after.version).toBe(2);
    expect(after.ns.get('')!.pickle.toString()).toBe('b');

    await b.touch(ID, T0 + 1000, T0 + 5 * HOUR);
    expect((await a.load(ID, T0 + 2 * HOUR))!.expires).toBe(T0 + 5 * HOUR);

    await b.delete(ID);
    expect(await a.load(ID, T0)).toBeNull();
  });

  it("serves its copy to a caller that held the session's lock since, without asking the database", async () => {
    const file = folder.file();
    const a = shared(file);
    const b = shared(file);
    await a.commit(commit({ create: true, upsert: { '': Buffer.from('a') } }));
    const kept = await a.load(ID, T0);
    // another session changes elsewhere: the database's version moves on
    await b.commit(commit({ id: 'T'.repeat(43), create: true }));
    expect(await a.load(ID, T0, true)).toBe(kept);
    // a caller without the lock held: the store looks, and reads again
    const fresh = await a.load(ID, T0);
    expect(fresh).not.toBe(kept);
    expect(fresh!.version).toBe(kept!.version);
  });

  it('keeps no session whose big pickle was left unread', async () => {
    const file = folder.file();
    const a = shared(file);
    const big = Buffer.alloc(256 * 1024, 1);
    // written by another connection: `a` has only what it reads
    await shared(file).commit(commit({ create: true, upsert: { big, small: Buffer.from('s') } }));
    const s1 = (await a.load(ID, T0))!;
    expect(s1.ns.get('big')!.unread).toBeDefined();
    const s2 = (await a.load(ID, T0))!;
    expect(s2).not.toBe(s1);
    // a change of the small one: the big one is still read at the new version
    await a.commit(commit({ expectVersion: s2.version, upsert: { small: Buffer.from('t') } }));
    const s3 = (await a.load(ID, T0))!;
    expect(s3.ns.get('small')!.pickle.toString()).toBe('t');
    expect(s3.ns.get('big')!.pickle.equals(big)).toBe(true);
  });
});
