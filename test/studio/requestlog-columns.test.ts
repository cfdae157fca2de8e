/**
 * The request log's columns at the sizes a laptop gives it: at 1440×900 a typical path with its
 * query is read whole; at 1024×700 status and outcome stay in view. Screenshots of both.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR } from './helpers.js';

const PATH = '/session_example.pt?name=Nick';
/** a page whose outcome has the longest label: saved, then failed ("partially committed") */
const PARTIAL = '/partial.pt';

/** Where a cell of the first row is, and whether its text fits it and it is inside the list. */
interface CellBox {
  width: number;
  fits: boolean;
  inView: boolean;
}

describe('PSE Studio request log columns', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    app = await copyExamples();
    await writeFile(
      path.join(app.dir, 'partial.py'),
      "from pse.plugins import session\nd = session.new()\nd['a'] = 1\nsession.save()\nd['b'] = 2\nraise RuntimeError('after the save')\n",
    );
    await writeFile(path.join(app.dir, 'partial.pt'), 'never shown');
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    const { url } = await studio.service.startServer(0);
    for (const p of [PATH, '/hello.pt', PARTIAL]) await fetch(new URL(p, url!));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(studio.url);
    await page.locator('.tree-item[data-path="hello.pt"]').waitFor({ timeout: 30_000 });
    await openFile(page, 'session_example.pt');
    await page.getByRole('tab', { name: 'Requests' }).click();
    await page.locator('.log-rows tr[data-serial]', { hasText: PATH }).waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  /** The cell of `column` (path, status or outcome) in the row of PATH. */
  function cell(column: 'path' | 'status' | 'outcome', row = PATH): Promise<CellBox> {
    const index = { path: 3, status: 4, outcome: 7 }[column];
    return page
      .locator('.log-rows tr[data-serial]', { hasText: row })
      .locator('td')
      .nth(index)
      .evaluate((td) => {
        const list = td.closest('.log-rows')!.getBoundingClientRect();
        const box = td.getBoundingClientRect();
        const content = td.firstElementChild ?? td;
        return {
          width: box.width,
          fits: td.scrollWidth <= td.clientWidth && content.scrollWidth <= td.clientWidth,
          inView:
            getComputedStyle(td).display !== 'none' &&
            box.width > 0 &&
            box.left >= list.left - 0.5 &&
            box.right <= list.right + 0.5,
        };
      });
  }

  it('shows a typical path with its query whole at 1440×900', async () => {
    const shown = await cell('path');
    expect(shown.fits).toBe(true);
    expect(shown.inView).toBe(true);
    for (const c of ['status', 'outcome'] as const)
      expect(await cell(c)).toMatchObject({ inView: true, fits: true });
    expect(await cell('outcome', PARTIAL)).toMatchObject({ inView: true, fits: true });
    await screenshot(page, 'requestlog-1440x900');
  });

  it('keeps status and outcome in view at 1024×700', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.waitForTimeout(300);
    for (const c of ['status', 'outcome'] as const)
      expect(await cell(c), c).toMatchObject({ inView: true, fits: true });
    expect(await cell('outcome', PARTIAL)).toMatchObject({ inView: true, fits: true });
    // the path still shows more than a few characters
    expect((await cell('path')).width).toBeGreaterThan(80);
    await screenshot(page, 'requestlog-1024x700');
  });
});
