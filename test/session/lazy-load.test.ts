/**
 * The shared SQLite store reads a big namespace's pickle only when it is used: a request that
 * reads a small namespace does not read a big one beside it. Every session semantic is kept:
 * a page that changes the big one commits it and journals its value before the change.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PreviewValue } from '../../src/common/types/session.js';
import { Engine } from '../../src/engine/engine.js';
import { SqliteSessionStore } from '../../src/engine/session/sqlite-store.js';
import { SessionConflictError } from '../../src/engine/session/store.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-lazy-load-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ID = 'L'.repeat(43);
const T0 = Date.now();
const BIG = Buffer.alloc(2 * 1024 * 1024, 7);
const preview: PreviewValue = { t: 'dict', v: [] };

async function fill(store: SqliteSessionStore): Promise<void> {
  await store.commit({
    id: ID,
    now: T0,
    expires: T0 + 3_600_000,
    create: true,
    upsert: new Map([
      ['big', { pickle: BIG, preview }],
      ['small', { pickle: Buffer.from('small'), preview }],
    ]),
    delete: [],
  });
}

describe('the shared SQLite store', () => {
  it('leaves a big pickle unread at load, and reads it on first use', async () => {
    const store = new SqliteSessionStore({ file: path.join(tmp, 'shared.sqlite') });
    await fill(store);
    const s = (await store.load(ID, T0))!;
    expect(s.ns.get('small')!.unread).toBeUndefined();
    expect(s.ns.get('small')!.pickle.toString()).toBe('small');
    const big = s.ns.get('big')!;
    expect(big.unread?.size).toBe(BIG.length);
    expect(big.unread!.read(ID, s.version).equals(BIG)).toBe(true);
    expect(big.pickle.equals(BIG)).toBe(true);
    await store.close();
  });

  it('refuses to read a pickle after the session changed since the load', async () => {
    const store = new SqliteSessionStore({ file: path.join(tmp, 'moved.sqlite') });
    await fill(store);
    const s = (await store.load(ID, T0))!;
    await store.commit({
      id: ID,
      now: T0,
      expires: T0 + 3_600_000,
      expectVersion: s.version,
      upsert: new Map(),
      delete: ['big'],
    });
    expect(() => s.ns.get('big')!.unread!.read(ID, s.version)).toThrow(SessionConflictError);
    await store.close();
  });

  it('an exclusive store keeps whole sessions in memory: it reads every pickle at load', async () => {
    const store = new SqliteSessionStore({
      file: path.join(tmp, 'exclusive.sqlite'),
      exclusive: true,
    });
    await fill(store);
    await store.close();
    const again = new SqliteSessionStore({
      file: path.join(tmp, 'exclusive.sqlite'),
      exclusive: true,
    });
    const s = (await again.load(ID, T0))!;
    expect(s.ns.get('big')!.unread).toBeUndefined();
    expect(s.ns.get('big')!.pickle.equals(BIG)).toBe(true);
    await again.close();
  });
});

describe('over HTTP, in development mode (shared store, journal on)', () => {
  let engine: Engine;
  let base = '';
  let cookie = '';
  const N = 1024 * 1024;

  beforeAll(async () => {
    const app = path.join(tmp, 'app');
    fs.mkdirSync(app);
    const pages: Record<string, string> = {
      'fill.pt': `<? from pse.plugins import session
session.new('big')['blob'] = 'x' * ${N}
session.new('small')['n'] = 1 ?>filled`,
      'small.pt': `<? from pse.plugins import session ?>n=<?= session.new('small')['n'] ?>`,
      'grow.pt': `<? from pse.plugins import session
session.new('small')['n'] = 2
session.save()
session.new('big')['blob'] += 'y' ?>len=<?= len(session.new('big')['blob']) ?>`,
      'regen.pt': `<? from pse.plugins import session
session.regenerate()
session.save() ?>len=<?= len(session.new('big')['blob']) ?>`,
    };
    for (const [name, text] of Object.entries(pages)) fs.writeFileSync(path.join(app, name), text);
    fs.writeFileSync(path.join(app, 'pse.conf'), '[plugins.session]\nCollectionProbability = 0\n');
    engine = await Engine.open(app, { workers: 1, watch: false, logFiles: false });
    base = (await engine.listen(0)).url.replace(/\/$/, '');
  });
  afterAll(async () => {
    await engine?.close();
  });

  async function get(page: string): Promise<string> {
    const res = await fetch(`${base}/${page}`, { headers: cookie ? { cookie } : {} });
    const set = res.headers.getSetCookie()[0];
    if (set) {
      const c = parseSetCookie(set);
      cookie = `${c.name}=${c.value}`;
    }
    expect(res.status).toBe(200);
    return res.text();
  }

  it('reads a small namespace beside a big one, then changes the big one', async () => {
    expect(await get('fill.pt')).toBe('filled');
    expect(await get('small.pt')).toBe('n=1');
    const id = cookie.split('=')[1]!;
    const store = engine.sessionService!.manager.store;
    const filled = (await store.load(id, Date.now()))!.ns.get('big')!.pickle;
    // a save() of another namespace first: the big one is read at the version the request holds
    expect(await get('grow.pt')).toBe(`len=${N + 1}`);
    expect(await get('small.pt')).toBe('n=2');
    const grown = (await store.load(id, Date.now()))!.ns.get('big')!.pickle;
    expect(grown.length).toBe(filled.length + 1);
    // the journal has the value before the change (a digest: it is over the per-value bound)
    const journal = engine.sessionService!.journal;
    const [grow] = await journal.list({ sessionId: id, path: 'grow', limit: 1 });
    expect(grow!.outcome).toBe('committed');
    // a session renamed by the request itself: its big namespace is read under the new id
    expect(await get('regen.pt')).toBe(`len=${N + 1}`);
    expect(cookie.split('=')[1]).not.toBe(id);
    const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
    expect(grow!.tooLarge).toEqual([
      { name: 'big', phase: 'before', size: filled.length, sha256: sha(filled) },
      { name: 'big', phase: 'after', size: grown.length, sha256: sha(grown) },
    ]);
  });
});
