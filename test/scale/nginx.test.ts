/**
 * Several `pse serve` processes, started separately on their own ports, behind nginx (round
 * robin, keep-alive to the processes) with the configuration shipped in docs/nginx.conf. Each
 * backend is one line of BACKENDS: the session store the processes share and how they open it.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  freePort,
  killAll,
  scaleApp,
  startNginx,
  startPse,
  stopPse,
  type Nginx,
  type Pse,
} from './processes.js';
import { killUnderLoad, manySessions, oneHotSession } from './scenarios.js';
import { TEST_PG_URL, testSchema } from '../helpers/pg.js';

interface Backend {
  name: string;
  /** more [plugins.session] lines of pse.conf */
  sessionConf: string;
  /** more `pse serve` arguments */
  args: string[];
}

const pg = testSchema();

const BACKENDS: Backend[] = [
  // One machine, one SQLite file: the processes take turns on a session through file locks.
  { name: 'SQLite', sessionConf: '', args: ['--production', '--shared-store'] },
  // Any number of machines, one database: they take turns through PostgreSQL's advisory locks.
  {
    name: 'PostgreSQL',
    sessionConf: `Type = postgresql\nDatabase = ${TEST_PG_URL}\nTable = ${pg.table()}\n`,
    args: ['--production'],
  },
];

const apps: string[] = [];
afterAll(async () => {
  killAll();
  for (const a of apps) fs.rmSync(a, { recursive: true, force: true });
  await pg.drop();
});

async function cluster(
  b: Backend,
  lockTimeout: number,
): Promise<{ app: string; pses: Pse[]; nginx: Nginx }> {
  const app = scaleApp(lockTimeout, b.sessionConf);
  apps.push(app);
  const ports = [await freePort(), await freePort(), await freePort()];
  const pses = await Promise.all(
    ports.map((p) => startPse(app, [...b.args, '--workers', '1', '--port', String(p)])),
  );
  return { app, pses, nginx: await startNginx(ports) };
}

for (const b of BACKENDS) {
  describe(`3 pse serve processes behind nginx (${b.name})`, () => {
    it(
      'serves one session from every process without losing an update',
      { timeout: 300_000 },
      async () => {
        const { pses, nginx } = await cluster(b, 120);
        const pids = await oneHotSession(nginx.url, 600);
        expect(pids).toEqual(new Set(pses.map((p) => p.child.pid)));
        await manySessions(nginx.url, 50, 20);
        await nginx.stop();
        for (const p of pses) expect(await stopPse(p)).toBe(0);
      },
    );

    it(
      'keeps serving when one process is killed with SIGKILL: no acknowledged commit lost, its sessions free at once',
      { timeout: 300_000 },
      async () => {
        const lockTimeout = 20;
        const { app, pses, nginx } = await cluster(b, lockTimeout);
        const run = await killUnderLoad(nginx.url, app, lockTimeout);
        expect(pses.map((p) => p.child.pid)).toContain(run.victim);
        await run.stop();
        await run.verify();
        await nginx.stop();
        for (const p of pses) if (p.child.pid !== run.victim) expect(await stopPse(p)).toBe(0);
      },
    );
  });
}
