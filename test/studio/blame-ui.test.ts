/**
 * Provenance and run details in a real browser, against a real `pse studio --web` on a copy of
 * examples/ whose embedded server gets real HTTP requests: each session key's last writer (a
 * click opens the request, a second the line in the editor) and its history; a request's
 * timing breakdown (with the request it waited behind) and the page's namespace as a tree.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudioPage, screenshot, type StudioPage } from './browser.js';
import { until, visitor } from './helpers.js';

const EXTRA: Record<string, string> = {
  'slow.pt': 'slept',
  'slow.py':
    "import time\nfrom pse.plugins import session\nsession.new()['slow'] = True\ntime.sleep(0.8)\n",
  'big.pt': 'big',
  'big.py': "rows = [{'n': i} for i in range(300)]\ntitle = 'Report'\n",
};

describe('PSE Studio provenance and run details in the browser', () => {
  let ui: StudioPage | undefined;
  let page: Page;
  let server: string;
  let pageErrors: string[] = [];
  const visit = visitor(() => server);
  const get = visit.get;
  const tab = (name: string) => page.getByRole('tab', { name: new RegExp(`^${name}`) });
  const row = (pathText: string) =>
    page.locator('.log-rows tr[data-serial]', { hasText: pathText }).first();

  beforeAll(async () => {
    ui = await openStudioPage({ files: EXTRA, workers: 2, viewport: { width: 1500, height: 950 } });
    ({ page, server, pageErrors } = ui);
  });

  afterAll(() => ui?.close());

  it("shows who wrote each key: a click opens the request, a second the line; and the key's history", async () => {
    expect(await get('session_example.pt?name=Ann')).toContain('Hello, Ann!');
    expect(await get('session_example.pt?name=Bob')).toContain('Hello, Bob!');
    await tab('Sessions').click();
    await page.locator(`.session-list tr[data-id="${visit.sessionId()}"]`).click();
    const blame = page.locator('.session-detail .key-blame[data-key="name"]');
    await blame.waitFor();
    expect(await blame.locator('.blame-request').innerText()).toBe('#2 /session_example.pt');
    expect(await blame.locator('.blame-line').innerText()).toBe('session_example.py:7');

    await blame.locator('.blame-request').click();
    const detail = page.locator('.blame-request-detail .log-detail[data-serial="2"]');
    await detail.waitFor();
    expect(await detail.locator('[aria-label="Keys written"]').innerText()).toContain(
      'session_example.py:7',
    );
    await screenshot(page, 'blame-request');

    await blame.locator('.blame-line').click();
    await page.locator('.editor-host[data-file="session_example.py"]').waitFor();
    await until(
      async () => (await page.locator('.editor-host .current-line').count()) > 0,
      'the cursor on the line',
    );

    await tab('Sessions').click();
    await blame.getByRole('button', { name: 'History of name' }).click();
    const values = page.getByRole('list', { name: 'Values of name' });
    await values.waitFor();
    const items = await values.locator('li').allInnerTexts();
    expect(items).toHaveLength(2);
    expect(items[0]).toContain("'Bob'");
    expect(items[0]).toContain('#2');
    expect(items[1]).toContain("'Ann'");
    expect(items[1]).toContain('#1');
    await screenshot(page, 'blame-history');
  });

  it('breaks a request down by time, naming the request it waited behind for the session', async () => {
    const slow = get('slow.pt');
    await new Promise((r) => setTimeout(r, 300));
    await get('session_example.pt');
    await slow;
    await tab('Requests').click();
    const r = row('/session_example.pt');
    await r.waitFor();
    const serial = await r.getAttribute('data-serial');
    await r.click();
    const timing = page.locator(`.log-detail[data-serial="${serial}"] [aria-label="Timing"]`);
    await timing.waitFor();
    const slowSerial = await row('/slow.pt').getAttribute('data-serial');
    const lock = timing.locator('tr[data-part="lockWaitMs"]');
    expect(await lock.innerText()).toContain(`behind #${slowSerial} /slow.pt`);
    for (const part of ['workerWaitMs', 'moduleMs', 'templateMs', 'commitMs', 'other'])
      expect(await timing.locator(`tr[data-part="${part}"]`).count()).toBe(1);
    await screenshot(page, 'request-timing');
  });

  it("shows the page's namespace as a tree with types, and says when it was capped", async () => {
    await get('big.pt');
    await tab('Requests').click();
    await row('/big.pt').click();
    const scope = page.locator('.log-detail [aria-label="Page namespace"]');
    await scope.waitFor();
    expect(await scope.locator('.vt-leaf[data-key="title"]').innerText()).toContain("'Report'");
    expect(await scope.locator('.vt-node[data-key="rows"] > summary').innerText()).toContain(
      'list',
    );
    expect(await scope.getByRole('note').innerText()).toContain('Capped');
    await screenshot(page, 'request-namespace');

    await row('/session_example.pt').click();
    const small = page.locator('.log-detail [aria-label="Page namespace"]');
    await small.locator('.vt-leaf[data-key="name"]').first().waitFor();
    expect(await small.getByRole('note').count()).toBe(0);
    expect(pageErrors).toEqual([]);
  });
});
