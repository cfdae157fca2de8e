/**
 * Studio on a cluster in a real browser: `pse studio --web` and a separately started
 * `pse serve` on one PostgreSQL app (a throwaway schema on the test server). The request log
 * shows the other process's requests live, and each row names the process that served it.
 */
import fs from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { sql, TEST_PG_URL, testSchema } from '../helpers/pg.js';
import {
  killAll,
  scaleApp,
  sessionCookie,
  startPse,
  stopPse,
  type Pse,
} from '../scale/processes.js';
import { launchChromium, screenshot } from './browser.js';
import { RENDERER_DIR, until } from './helpers.js';

describe('PSE Studio following a cluster, in the browser', () => {
  const schema = testSchema();
  let app: string;
  let pse: Pse;
  let studio: RunningWebStudio;
  let server: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    await sql(`CREATE SCHEMA ${schema.schema}`);
    app = scaleApp(30, `Type = postgresql\nDatabase = ${TEST_PG_URL}\nTable = ${schema.table()}\n`);
    pse = await startPse(app, ['--workers', '1', '--port', '0']);
    studio = await launchWebStudio({ appRoot: app, workers: 1, rendererDir: RENDERER_DIR });
    server = (await studio.service.startServer(0)).url!.replace(/\/$/, '');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    await page.goto(studio.url);
    await page.getByRole('tab', { name: 'Requests' }).click();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    if (pse) await stopPse(pse);
    killAll();
    await schema.drop();
    if (app) fs.rmSync(app, { recursive: true, force: true });
  });

  it("shows another process's requests live, naming the process of each row", async () => {
    const first = await fetch(`${pse.url}/count.pt`);
    const [, pid] = (await first.text()).trim().split(/\s+/);
    const cookie = sessionCookie(first.headers.getSetCookie());
    const rows = page.locator('.log-rows tr[data-serial]', { hasText: '/count.pt' });
    await rows.first().waitFor({ timeout: 20_000 });
    // one process so far: no process column
    expect(await page.locator('.log-rows th.c-process').count()).toBe(0);
    // the same session through Studio's own server: the count goes on, and with two processes
    // in the log each row names its own
    const own = await fetch(`${server}/count.pt`, { headers: { cookie } });
    expect((await own.text()).trim().split(/\s+/)[0]).toBe('2');
    await until(async () => (await rows.count()) === 2, 'both requests in the log', 20_000);
    await page.locator('.log-rows th.c-process').waitFor();
    const cells = await rows.locator('.c-process').allInnerTexts();
    expect(cells.sort()).toEqual([pid!, String(process.pid)].sort());
    expect(await rows.locator('.c-process', { hasText: pid! }).getAttribute('title')).toMatch(
      new RegExp(`, pid ${pid}$`),
    );
    await screenshot(page, 'cluster-requestlog');
  }, 60_000);
});
