/**
 * Several `pse serve` processes on one PostgreSQL session store: a session's requests are
 * served one at a time across processes (no lost update), and a process killed with -9 loses
 * no acknowledged commit and leaves no session locked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getPage as get } from '../helpers/get-page.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PG_URL, testSchema } from '../helpers/pg.js';
import { killAll, startPse, type PseProcess } from '../helpers/pse-process.js';

const schema = testSchema();
let app: string;
const servers: PseProcess[] = [];

beforeAll(async () => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-pg-cluster-'));
  const page = (name: string, code: string): void => {
    fs.writeFileSync(path.join(app, `${name}.py`), code);
    fs.writeFileSync(path.join(app, `${name}.pt`), '<?= out ?>');
  };
  page(
    'counter',
    "from pse.plugins import session\nd = session.new()\nd['n'] = d.get('n', 0) + 1\nout = d['n']\n",
  );
  page('peek', "from pse.plugins import session\nout = session.new().get('n', 0)\n");
  page(
    'append',
    "from pse.plugins import session\nd = session.new()\nd.setdefault('seen', []).append(int(pse.form['v']))\nout = len(d['seen'])\n",
  );
  page(
    'show',
    "from pse.plugins import session\nout = ','.join(map(str, session.new().get('seen', [])))\n",
  );
  fs.writeFileSync(
    path.join(app, 'pse.conf'),
    `[plugins.session]\nType = postgresql\nDatabase = ${TEST_PG_URL}\nTable = ${schema.table()}\nCollectionProbability = 0\nLockTimeout = 60\n`,
  );
  // the first creates the schema; the second finds it
  servers.push(await startPse(app, ['--production', '--workers', '2']));
  servers.push(await startPse(app, ['--production', '--workers', '2']));
}, 180_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  killAll();
  await schema.drop();
  if (app) fs.rmSync(app, { recursive: true, force: true });
});

/** The i-th request goes to the i-th server, round robin. */
function at(i: number, page: string, list = servers): string {
  return `${list[i % list.length]!.url}/${page}`;
}

describe('one session, one request at a time, across processes', () => {
  it(
    '600 concurrent increments of one session, spread over two processes, end at 600',
    { timeout: 300_000 },
    async () => {
      const { cookie } = await get(at(0, 'counter.pt?start'));
      const results = await Promise.all(
        Array.from({ length: 600 }, (_, i) => get(at(i, 'counter.pt'), cookie)),
      );
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      // each request saw the one before it: every value from 2 to 601 once
      const seen = results.map((r) => Number(r.text)).sort((a, b) => a - b);
      expect(seen).toEqual(Array.from({ length: 600 }, (_, i) => i + 2));
      expect((await get(at(1, 'peek.pt'), cookie)).text).toBe('601');
    },
  );

  it(
    '50 sessions × 20 concurrent increments each: exact counts',
    { timeout: 300_000 },
    async () => {
      const cookies = await Promise.all(
        Array.from({ length: 50 }, async (_, i) => (await get(at(i, 'counter.pt'))).cookie!),
      );
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => get(at(i >> 1, 'counter.pt'), cookies[i % 50])),
      );
      expect(results.filter((r) => r.status !== 200)).toEqual([]);
      const counts = await Promise.all(
        cookies.map(async (c, i) => (await get(at(i, 'peek.pt'), c)).text),
      );
      expect(counts).toEqual(cookies.map(() => '21'));
    },
  );

  it(
    'kill -9 of one process under load: every acknowledged commit stays, the others serve its sessions at once',
    { timeout: 300_000 },
    async () => {
      const victim = await startPse(app, ['--production', '--workers', '2']);
      const live = servers[0]!;
      const clients = 8;
      const cookies: string[] = [];
      for (let i = 0; i < clients; i++)
        cookies.push((await get(`${victim.url}/append.pt?v=0`)).cookie!);
      const acked: number[][] = cookies.map(() => [0]);
      const lost: number[][] = cookies.map(() => []);
      const afterKill: number[] = [];
      let killed = false;
      const loops = cookies.map(async (cookie, i) => {
        let survivorRuns = 0;
        for (let v = 1; survivorRuns < 10; v++) {
          // every other request goes to the process that will be killed, while it lives
          const server = !killed && v % 2 === 1 ? victim : live;
          try {
            const r = await get(`${server.url}/append.pt?v=${v}`, cookie);
            if (r.status === 200) acked[i]!.push(v);
            else lost[i]!.push(v);
            if (killed && server === live) {
              survivorRuns++;
              afterKill.push(r.status);
            }
          } catch {
            lost[i]!.push(v); // the process died with this request: no answer
          }
        }
      });
      while (acked.reduce((n, a) => n + a.length, 0) < 80)
        await new Promise((r) => setTimeout(r, 20));
      victim.child.kill('SIGKILL');
      killed = true;
      await Promise.all(loops);
      // its sessions were served by the others at once: no request waited out LockTimeout (503)
      expect(afterKill).toEqual(afterKill.map(() => 200));
      for (const [i, cookie] of cookies.entries()) {
        const seen = (await get(`${live.url}/show.pt`, cookie)).text.split(',').map(Number);
        // every acknowledged value, in order; besides them only values of requests that got no answer
        expect(seen.filter((v) => acked[i]!.includes(v))).toEqual(acked[i]);
        for (const v of seen.filter((x) => !acked[i]!.includes(x))) expect(lost[i]).toContain(v);
      }
    },
  );
});
