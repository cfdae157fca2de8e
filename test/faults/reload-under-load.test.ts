/**
 * pse.conf rewritten while clients keep the server busy: every rewrite boots a new pool and the
 * old one hands over what it holds, so no request gets anything but its page.
 */
import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { load, serveApp, type App } from './helpers.js';

let app: App;
const reloads: string[] = [];

beforeAll(async () => {
  app = await serveApp({
    'pse.conf': '[Main]\nWorkers = 2\nMemoryCacheSize = 100\n',
    // a little work per page, so that jobs wait in the pool's queue as well as on the pipes
    'page.pt': '<? import time; time.sleep(0.002) ?>ok',
  });
  app.engine.on('reload', (r) => reloads.push(r.scope));
});
afterAll(() => app?.stop());

it('drops no request while pse.conf changes under load', async () => {
  const conf = path.join(app.root, 'pse.conf');
  // more clients than the two workers' pipes hold: some always wait in the pool's queue
  const run = load(app.port, '/page.pt', 40);
  await expect.poll(() => run.tally.ok, { timeout: 20_000 }).toBeGreaterThan(50);
  for (let i = 1; i <= 4; i++) {
    const text = await readFile(conf, 'utf8');
    await writeFile(conf, text.replace(/MemoryCacheSize = \d+/, `MemoryCacheSize = ${100 + i}`));
    const later = new Date(Date.now() + 2000 * i);
    await utimes(conf, later, later);
    await expect
      .poll(() => app.engine.config.main.memoryCacheSize, { timeout: 30_000, interval: 50 })
      .toBe(100 + i);
    const before = run.tally.ok;
    await expect.poll(() => run.tally.ok, { timeout: 20_000 }).toBeGreaterThan(before + 50);
  }
  const tally = await run.stop();
  expect(reloads.filter((r) => r === 'config').length).toBeGreaterThanOrEqual(4);
  expect(Object.fromEntries(tally.failures)).toEqual({});
  expect(tally.ok).toBeGreaterThan(250);
});
