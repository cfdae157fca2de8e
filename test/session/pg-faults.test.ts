/**
 * A PostgreSQL session store whose server goes away: a real server (a throwaway one of this
 * test, never the shared one) stopped and started again under a real engine.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPage, type Page } from '../helpers/get-page.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, type LogLine } from '../../src/engine/index.js';
import { throwawayCluster, type ThrowawayCluster } from '../helpers/pg-cluster.js';

let cluster: ThrowawayCluster;
let app: string;
let engine: Engine | undefined;
const logged: LogLine[] = [];

beforeAll(async () => {
  cluster = await throwawayCluster();
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-pg-faults-'));
  fs.writeFileSync(
    path.join(app, 'counter.py'),
    "from pse.plugins import session\nd = session.new()\nd['n'] = d.get('n', 0) + 1\nout = d['n']\n",
  );
  fs.writeFileSync(path.join(app, 'counter.pt'), '<?= out ?>');
  fs.writeFileSync(path.join(app, 'hello.pt'), 'hello');
  fs.writeFileSync(path.join(app, 'style.css'), 'p {}');
  fs.writeFileSync(
    path.join(app, 'pse.conf'),
    `[plugins.session]\nType = postgresql\nDatabase = ${cluster.url}?connect_timeout=3\nCollectionProbability = 0\nLockTimeout = 5\n`,
  );
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await cluster?.destroy();
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

function get(base: string, page: string, cookie?: string): Promise<Page> {
  return getPage(`${base}/${page}`, cookie);
}

describe('PostgreSQL lost and found again', () => {
  it('an unreachable database fails the start, naming host and database', async () => {
    await expect(Engine.open(app, { workers: 1, watch: false, logFiles: false })).rejects.toThrow(
      new RegExp(
        `session store postgresql://postgres@127\\.0\\.0\\.1:${cluster.port}/postgres: cannot open: connection refused`,
      ),
    );
  });

  it('session pages answer 503 while it is down, others keep working, nothing acknowledged is lost', async () => {
    await cluster.start();
    engine = await Engine.open(app, {
      workers: 1,
      watch: false,
      logFiles: false,
      log: (l) => logged.push(l),
    });
    const base = (await engine.listen(0)).url.replace(/\/$/, '');
    const first = await get(base, 'counter.pt');
    const cookie = first.cookie!;
    let acked = Number(first.text);
    for (let i = 0; i < 5; i++) acked = Number((await get(base, 'counter.pt', cookie)).text);
    expect(acked).toBe(6);

    await cluster.stop('immediate'); // as a crash: no shutdown checkpoint
    const down = await get(base, 'counter.pt', cookie);
    expect(down.status).toBe(503);
    expect(down.text).toMatch(/unreachable/);
    expect((await get(base, 'hello.pt')).text).toBe('hello');
    expect(logged.map((l) => l.text).join('\n')).toMatch(
      new RegExp(
        `session store postgresql://postgres@127\\.0\\.0\\.1:${cluster.port}/postgres is unreachable`,
      ),
    );
    // a static file needs no session, cookie or not
    expect((await get(base, 'style.css', cookie)).text).toBe('p {}');

    await cluster.start();
    // reconnection is automatic: the next requests find the server again
    let back = await get(base, 'counter.pt', cookie);
    for (let i = 0; back.status !== 200 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 100));
      back = await get(base, 'counter.pt', cookie);
    }
    expect(back.status).toBe(200);
    expect(Number(back.text)).toBe(acked + 1);
    expect(logged.map((l) => l.text).join('\n')).toMatch(/is reachable again/);
  }, 120_000);
});
