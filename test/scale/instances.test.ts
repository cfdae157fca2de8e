/**
 * `pse serve --instances 3` on the embedded SQLite store, with real processes: one port, three
 * engine processes, each session's requests serialized across them (file record locks), an
 * instance killed with SIGKILL replaced while the others serve, and Ctrl-C stopping them all.
 */
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { client, killAll, scaleApp, startPse, stopPse } from './processes.js';
import { killUnderLoad, manySessions, oneHotSession, servedBy, until } from './scenarios.js';

const apps: string[] = [];
afterAll(() => {
  killAll();
  for (const a of apps) fs.rmSync(a, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('pse serve --instances 3 (SQLite)', () => {
  it(
    'serves one session from every instance without losing an update, then stops them all on SIGINT',
    { timeout: 300_000 },
    async () => {
      const app = scaleApp(120);
      apps.push(app);
      const pse = await startPse(app, [
        '--instances',
        '3',
        '--production',
        '--workers',
        '1',
        '--port',
        '0',
      ]);
      expect(pse.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const pids = await oneHotSession(pse.url, 600);
      // Connections are dealt round robin: more than one process served the one session.
      expect(pids.size).toBeGreaterThan(1);
      await manySessions(pse.url, 50, 20);
      expect(await stopPse(pse)).toBe(0);
      await until('every instance gone', 30_000, () => ([...pids].some(alive) ? null : true));
    },
  );

  it(
    'replaces an instance killed with SIGKILL under load: no acknowledged commit lost, its sessions free at once',
    { timeout: 300_000 },
    async () => {
      const lockTimeout = 20;
      const app = scaleApp(lockTimeout);
      apps.push(app);
      const pse = await startPse(app, [
        '--instances',
        '3',
        '--production',
        '--workers',
        '2',
        '--port',
        '0',
      ]);
      const run = await killUnderLoad(pse.url, app, lockTimeout);
      // A replacement joins the same port while the others serve.
      const replacement = await until('a replacement instance', 120_000, () => {
        const m = /instance \d serving again \(pid (\d+)\)/.exec(pse.stderr());
        return m ? Number(m[1]) : null;
      });
      expect(replacement).not.toBe(run.victim);
      // New connections are dealt in turn: one soon reaches the replacement.
      await until('the replacement answering on the port', 60_000, async () => {
        const c = client(1);
        const r = await c.request(`${pse.url}/count`);
        c.close();
        return r.status === 200 && servedBy(r.body) === replacement ? true : null;
      });
      await run.stop();
      await run.verify();
      expect(await stopPse(pse)).toBe(0);
    },
  );
});
