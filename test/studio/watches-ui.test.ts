/**
 * Watches in a real browser, against a real `pse studio --web` on a copy of examples/: a key of
 * a session watched from the inspector, and a notification naming the request each time a real
 * HTTP request changes it — in the editor view as well.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, visitor } from './helpers.js';

describe('PSE Studio watches in the browser', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  let server: string;
  const pageErrors: string[] = [];
  const visit = visitor(() => server);
  const get = visit.get;

  beforeAll(async () => {
    app = await copyExamples();
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    server = (await studio.service.startServer(0)).url!;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(studio.url);
    await page.getByRole('tab', { name: /^Sessions/ }).click();
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

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
