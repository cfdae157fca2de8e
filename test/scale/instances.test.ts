/**
 * `pse serve --instances 3` on the embedded SQLite store, with real processes: one port, three
 * engine processes, each session's requests serialized across them (file record locks), an
 * instance killed with SIGKILL replaced while the others serve, and Ctrl-C stopping them all.
 */
import fs from 'node:fs';
import http from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { client, killAll, scaleApp, startPse, stopPse } from './processes.js';
import { killUnderLoad, manySessions, oneHotSession, servedBy, until } from './scenarios.js';
import { alive } from '../helpers/pse-process.js';

const apps: string[] = [];
afterAll(() => {
  killAll();
  for (const a of apps) fs.rmSync(a, { recursive: true, force: true });
});

/** `pse serve --instances 3 --production` on a free port, each instance with `workers` workers. */
function startInstances(app: string, workers: number): ReturnType<typeof startPse> {
  return startPse(app, [
    '--instances',
    '3',
    '--production',
    '--workers',
    String(workers),
    '--port',
    '0',
  ]);
}

describe('pse serve --instances 3 (SQLite)', () => {
  it(
    'serves one session from every instance without losing an update, then stops them all on SIGINT',
    { timeout: 300_000 },
    async () => {
      const app = scaleApp(120);
      apps.push(app);
      const pse = await startInstances(app, 1);
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
      const pse = await startInstances(app, 2);
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

  it(
    'never leaves a new connection hanging while instances are killed: each is served or closed',
    { timeout: 300_000 },
    async () => {
      const app = scaleApp(20);
      apps.push(app);
      const pse = await startInstances(app, 1);
      // One request per connection: every request is a connection the primary deals.
      const outcomes = new Map<string, number>();
      const pids = new Set<number>();
      const once = (): Promise<string> =>
        new Promise((resolve) => {
          const req = http.get(`${pse.url}/count`, { agent: false }, (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () => {
              pids.add(servedBy(body));
              resolve(String(res.statusCode));
            });
            res.on('error', () => resolve('cut'));
          });
          req.on('error', () => resolve('cut'));
          // Far above a request's time on this app: past it the connection was left hanging.
          req.setTimeout(20_000, () => {
            req.destroy();
            resolve('hung');
          });
        });
      let running = true;
      const load = Array.from({ length: 16 }, async () => {
        while (running) {
          const o = await once();
          outcomes.set(o, (outcomes.get(o) ?? 0) + 1);
        }
      });
      // One instance at a time, the next once its replacement serves: the others always serve,
      // so no connection has to wait for an instance to boot.
      const killed = new Set<number>();
      for (let k = 0; k < 3; k++) {
        const victim = await until(
          'a victim',
          60_000,
          () => [...pids].find((pid) => pid > 0 && !killed.has(pid)) ?? null,
        );
        killed.add(victim);
        process.kill(victim, 'SIGKILL');
        await until('its replacement', 120_000, () =>
          (pse.stderr().match(/serving again/g) ?? []).length > k ? true : null,
        );
      }
      await new Promise((r) => setTimeout(r, 500));
      running = false;
      await Promise.all(load);
      expect([...outcomes]).not.toContainEqual(['hung', expect.any(Number)]);
      expect(outcomes.get('200') ?? 0).toBeGreaterThan(20);
      expect(await stopPse(pse)).toBe(0);
    },
  );
});
