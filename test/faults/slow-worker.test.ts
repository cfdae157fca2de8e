/**
 * A page that runs long holds its worker, and nothing else: requests that arrive meanwhile (and
 * those already queued behind it on its pipe) are answered by the other worker.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { get, serveApp, type App, type Reply } from './helpers.js';

let app: App;

beforeAll(async () => {
  app = await serveApp({
    'pse.conf': '[Main]\nWorkers = 2\nRequestTimeout = 60\n',
    // runs until the test lets it go (or 40 s); "started" tells the test it runs (the worker's
    // folder is the app's)
    'slow.pt': `<?
import os, time
open('started', 'w').close()
t = time.time()
while not os.path.exists('go') and time.time() - t < 40:
    time.sleep(0.01)
?>slow done`,
    'fast.pt': 'fast',
  });
});
afterAll(() => app?.stop());

it('answers other requests while one page runs long', async () => {
  let slowReply: Reply | null = null;
  const slow = get(app.port, '/slow.pt').then((r) => (slowReply = r));
  await expect
    .poll(() => existsSync(path.join(app.root, 'started')), { timeout: 20_000, interval: 20 })
    .toBe(true);
  // more than one worker can take at once: without the release some would queue behind slow.pt
  const fast = Array.from({ length: 16 }, () => get(app.port, '/fast.pt'));
  let done = 0;
  for (const f of fast) void f.then(() => done++);
  await expect.poll(() => done, { timeout: 20_000, interval: 50 }).toBe(16);
  expect(slowReply).toBeNull(); // all of them came back while the slow page still ran
  for (const f of fast) expect(await f).toEqual({ status: 200, body: 'fast' });
  await writeFile(path.join(app.root, 'go'), '');
  expect(await slow).toEqual({ status: 200, body: 'slow done' });
});
