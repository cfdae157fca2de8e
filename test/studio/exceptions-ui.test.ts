/**
 * Exceptions grouped by type and raising line (and a request's server.log lines) in a real browser, against a real
 * `pse studio --web` on a copy of examples/ whose embedded server gets real HTTP requests.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudioPage, screenshot, type StudioPage } from './browser.js';
import { until } from './helpers.js';

const FAIL_PY = [
  'from pse.plugins import server',
  'kind = pse.form.get("kind")',
  "server.log('checking stock for %s' % kind)",
  'if kind == "key":',
  '    raise KeyError("sku")',
  "raise ValueError('no stock for %s' % kind)",
  '',
].join('\n');

describe('PSE Studio exceptions view in the browser', () => {
  let ui: StudioPage | undefined;
  let page: Page;
  let server: string;
  let pageErrors: string[] = [];
  const get = async (url: string): Promise<number> => (await fetch(new URL(url, server))).status;

  beforeAll(async () => {
    ui = await openStudioPage({ files: { 'fail.pt': 'never shown', 'fail.py': FAIL_PY } });
    ({ page, server, pageErrors } = ui);
    await page.getByRole('tab', { name: /^Sessions/ }).click();
  });

  afterAll(() => ui?.close());

  it('groups failures by type and line, live, and opens the latest request and the line', async () => {
    expect(await get('fail.pt?kind=a')).toBe(500);
    expect(await get('fail.pt?kind=key')).toBe(500);
    await page.getByRole('tab', { name: /^Exceptions/ }).click();
    const value = page.locator('.exceptions-rows tr[data-type="ValueError"]');
    await value.waitFor();
    expect(await get('fail.pt?kind=b')).toBe(500);
    await until(
      async () => (await value.locator('td.count').innerText()) === '2',
      'the live count of the ValueError group',
    );
    expect(
      await page.locator('.exceptions-rows tr[data-type="KeyError"] td.count').innerText(),
    ).toBe('1');
    expect(await value.innerText()).toContain('fail.py:6');
    expect(await value.innerText()).toContain('no stock for b');

    await value.click();
    await page.locator('.log-detail .cause', { hasText: 'ValueError: no stock for b' }).waitFor();
    expect(await page.locator('.exceptions-requests button').count()).toBe(2);
    await page.locator('.exceptions-requests button').nth(1).click();
    await page.locator('.log-detail .cause', { hasText: 'ValueError: no stock for a' }).waitFor();
    // what the page saw: its server.log line
    const logs = page.locator('.log-detail section[aria-label="Log lines"]');
    expect(await logs.innerText()).toContain('server.log (1)');
    expect(await logs.locator('tr[data-level="NOTICE"]').innerText()).toContain(
      'checking stock for a',
    );
    await screenshot(page, 'exceptions-groups');

    await value.getByRole('button', { name: 'fail.py:6' }).click();
    await page.locator('.editor-host[data-file="fail.py"]').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
