/**
 * Watches in a real browser, against a real `pse studio --web` on a copy of examples/: a key of
 * a session watched from the inspector, and a notification naming the request each time a real
 * HTTP request changes it — in the editor view as well.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudioPage, screenshot, type StudioPage } from './browser.js';
import { visitor } from './helpers.js';

describe('PSE Studio watches in the browser', () => {
  let ui: StudioPage | undefined;
  let page: Page;
  let server: string;
  let pageErrors: string[] = [];
  const visit = visitor(() => server);
  const get = visit.get;

  beforeAll(async () => {
    ui = await openStudioPage();
    ({ page, server, pageErrors } = ui);
    await page.getByRole('tab', { name: /^Sessions/ }).click();
  });

  afterAll(() => ui?.close());

  it('notifies each change of a watched key with its request, in any view', async () => {
    expect(await get('session_example.pt?name=Ann')).toContain('Hello, Ann!');
    const id = visit.sessionId();
    await page.locator(`.session-list tr[data-id="${id}"]`).click();
    await page.getByRole('tab', { name: /^Watches/ }).click();
    expect(await page.getByLabel('Watch session').inputValue()).toBe(id);
    await page.getByLabel('every namespace').uncheck();
    await page.getByLabel('Watch key').fill('name');
    await page.getByRole('button', { name: 'Add watch' }).click();
    await page.locator('.watch-list li', { hasText: `${id.slice(0, 8)} › '' › name` }).waitFor();

    await get('session_example.pt'); // reads the key: no notification
    expect(await get('session_example.pt?name=Bob')).toContain('Hello, Bob!');
    const toast = page.locator('.watch-toast', { hasText: "'' name changed" });
    await toast.waitFor();
    expect(await toast.innerText()).toMatch(/#3 GET \/session_example\.pt/);
    expect(await page.locator('.watch-toast').count()).toBe(1);
    await page.locator('.watch-hits li', { hasText: '#3' }).waitFor();
    await screenshot(page, 'watches');

    await page.getByRole('tab', { name: /^Console/ }).click(); // another view
    await get('session_example.pt?name=Cy');
    await page.locator('.watch-toast', { hasText: '#4 GET' }).waitFor();
    expect(await page.locator('.watch-toast', { hasText: '#4 GET' }).isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
