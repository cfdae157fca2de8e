/**
 * A request of a busy session follows the one before it onto that one's worker and starts from
 * the session as it leaves it there (no round trip through Node in between), when one engine
 * process holds the store (`--production`); a store shared with other processes (development)
 * serves the same pages without it, so both run here. A real Engine with
 * CPython workers and the SQLite store, over HTTP: the session semantics stay what they are
 * without it — FIFO, exact counts, rollback of a failure (to its last save()), a crash's
 * followers run from the store, LockTimeout answers 503 and the page never runs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPage, type Page } from '../helpers/get-page.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import type { PoolStats, WorkerPool } from '../../src/engine/runtime/pool.js';

/** name → code module; every template prints `out`. */
const SERVLETS: Record<string, string> = {
  counter: `from pse.plugins import session
d = session.new()
d['n'] = d.get('n', 0) + 1
out = d['n']
`,
  // holds the session a while, so that the requests sent meanwhile queue behind it
  hold: `import time
from pse.plugins import session
d = session.new()
d['n'] = d.get('n', 0) + 1
time.sleep(float(pse.form['s']) if pse.form.has_key('s') else 0.4)
out = d['n']
`,
  fail: `from pse.plugins import session
session.new()['n'] = 1000
raise ValueError('boom')
`,
  savefail: `from pse.plugins import session
d = session.new()
d['n'] = d.get('n', 0) + 10
session.save()
d['n'] = 5000
raise RuntimeError('after save')
`,
  crash: `import os, time
from pse.plugins import session
session.new()['n'] = 2000
time.sleep(0.4)
os._exit(1)
`,
  regen: `import time
from pse.plugins import session
session.new()
time.sleep(0.3)
session.regenerate()
out = 'new id'
`,
  // leaves a mark on disk when it runs at all
  mark: `import os
from pse.plugins import session
open(os.path.join(os.path.dirname(__file__), 'marked-' + pse.form['m']), 'w').close()
out = session.new().get('n')
`,
};

let app: string;
let engine: Engine;
let base: string;

function stats(): PoolStats {
  return (engine as unknown as { pool: WorkerPool }).pool.stats();
}

function get(url: string, cookie?: string): Promise<Page> {
  return getPage(base + url, cookie);
}

/** `urls` of one session, each sent `gapMs` after the one before (so they queue in that order). */
async function inOrder(cookie: string, urls: string[], gapMs = 60) {
  const out: Promise<Page>[] = [];
  for (const url of urls) {
    out.push(get(url, cookie));
    await new Promise((r) => setTimeout(r, gapMs));
  }
  return Promise.all(out);
}

async function newSession(): Promise<string> {
  const r = await get('/counter.pt');
  expect(r.text).toBe('1');
  return r.cookie!;
}

for (const exclusiveSessions of [false, true]) {
  describe(exclusiveSessions ? 'exclusive store (--production)' : 'shared store', () => {
    beforeAll(async () => {
      app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-follow-'));
      for (const [name, code] of Object.entries(SERVLETS)) {
        fs.writeFileSync(path.join(app, `${name}.py`), code);
        fs.writeFileSync(path.join(app, `${name}.pt`), '<?= out ?>');
      }
      fs.writeFileSync(
        path.join(app, 'pse.conf'),
        '[Main]\nRequestTimeout = 5\n\n[plugins.session]\nCollectionProbability = 0\nLockTimeout = 1\n',
      );
      engine = await Engine.open(app, {
        workers: 2,
        watch: false,
        logFiles: false,
        exclusiveSessions,
      });
      base = (await engine.listen(0)).url.replace(/\/$/, '');
    });
    afterAll(async () => {
      await engine?.close();
      fs.rmSync(app, { recursive: true, force: true });
    });

    it('serves a hot session in order and exactly, the requests following each other on the worker', async () => {
      const cookie = await newSession();
      const before = stats().followed;
      const hold = get('/hold.pt?s=0.3', cookie);
      await new Promise((r) => setTimeout(r, 50));
      const rest = await Promise.all(Array.from({ length: 60 }, () => get('/counter.pt', cookie)));
      expect((await hold).text).toBe('2');
      const seen = rest.map((r) => Number(r.text)).sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 3));
      expect((await get('/counter.pt', cookie)).text).toBe('63');
      // a store other processes may share (development) is locked across them: nobody follows
      if (exclusiveSessions) expect(stats().followed - before).toBeGreaterThan(0);
      else expect(stats().followed).toBe(before);
    });

    it('hands on a failed request’s session as rolled back, to its last save()', async () => {
      const cookie = await newSession();
      const [held, failed, next] = await inOrder(cookie, ['/hold.pt', '/fail.pt', '/counter.pt']);
      expect(held!.text).toBe('2');
      expect(failed!.status).toBe(500);
      expect(next!.text).toBe('3');
      const [, saved, after] = await inOrder(cookie, ['/hold.pt', '/savefail.pt', '/counter.pt']);
      expect(saved!.status).toBe(500);
      expect(after!.text).toBe('15'); // 4, then +10 saved, then +1; the 5000 after save() is gone
    });

    it('runs the followers of a crashed request from the store, rolled back', async () => {
      const cookie = await newSession();
      const before = stats();
      const [crashed, ...rest] = await inOrder(cookie, [
        '/crash.pt',
        '/counter.pt',
        '/counter.pt',
        '/counter.pt',
      ]);
      expect(crashed!.status).toBe(502);
      expect(rest.map((r) => r.text)).toEqual(['2', '3', '4']);
      const after = stats();
      if (exclusiveSessions) {
        expect(after.followed).toBeGreaterThan(before.followed);
        expect(after.refused).toBeGreaterThan(before.refused);
      }
    });

    it('a follower whose session stays busy past LockTimeout gets 503 and never runs', async () => {
      const cookie = await newSession();
      const [held, late] = await inOrder(cookie, ['/hold.pt?s=2', '/mark.pt?m=late']);
      expect(held!.text).toBe('2');
      expect(late!.status).toBe(503);
      expect(late!.text).toMatch(/LockTimeout/);
      await new Promise((r) => setTimeout(r, 300));
      expect(fs.existsSync(path.join(app, 'marked-late'))).toBe(false);
      // the session carries on
      expect((await get('/mark.pt?m=after', cookie)).text).toBe('2');
    });

    it('a follower of a request that regenerates the id finds no session under the old one', async () => {
      const cookie = await newSession();
      const [regen, old] = await inOrder(cookie, ['/regen.pt', '/mark.pt?m=old']);
      expect(regen!.text).toBe('new id');
      expect(regen!.cookie).not.toBe(cookie);
      expect(old!.text).toBe('None');
      expect((await get('/counter.pt', regen!.cookie)).text).toBe('2');
    });
  });
}
