/**
 * Recorded visits as tests in a real browser, against a real `pse studio --web` on a copy of
 * examples/: requests to the embedded server ticked in the Tests tab and exported as a test file,
 * then run — passing as recorded, and showing the differing step once the code changed.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudioPage, screenshot, type StudioPage } from './browser.js';
import { until, visitor } from './helpers.js';

describe('PSE Studio tests tab in the browser', () => {
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

  it('exports ticked requests as tests/NAME.psetest and runs it, step by step', async () => {
    expect(await get('session_example.pt?name=Ann')).toContain('Hello, Ann!');
    expect(await get('session_example.pt')).toContain('Hello, Ann!');
    await page.getByRole('tab', { name: /^Tests/ }).click();
    const rows = page.locator('.tests-rows tr[data-serial]');
    await until(async () => (await rows.count()) === 2, 'two recorded requests');
    await rows.nth(0).click();
    await rows.nth(1).click();
    await page.getByLabel('Test name').fill('ann');
    await page.getByRole('button', { name: 'Export 2 requests as a test' }).click();
    await page.getByText('Wrote tests/ann.psetest (2 steps).').waitFor();
    const text = await readFile(path.join(ui!.app.dir, 'tests', 'ann.psetest'), 'utf8');
    expect(text).toContain(
      "request GET /session_example.pt?name=Ann\n  status 200\n  outcome committed\n  key '' 'name' = 'Ann'",
    );

    // a session's whole timeline, chosen under Sessions, ticks its requests (live: a third)
    expect(await get('session_example.pt')).toContain('Hello, Ann!');
    await until(async () => (await rows.count()) === 3, 'the new request, live');
    await page.getByRole('tab', { name: /^Sessions/ }).click();
    await page.locator(`.session-list tr[data-id="${visit.sessionId()}"]`).click();
    await page.getByRole('tab', { name: /^Tests/ }).click();
    await page.getByRole('button', { name: 'Select the session’s timeline' }).click();
    await page.getByRole('button', { name: 'Export 3 requests as a test' }).waitFor();
    await page.getByRole('button', { name: 'Select none' }).click();

    await page.getByRole('button', { name: 'Run all' }).click();
    const file = page.locator('.tests-files li[data-test="tests/ann.psetest"]');
    await file.locator('[aria-label="passed"]').waitFor({ timeout: 60_000 });
    expect(await file.locator('tr[data-ok="true"]').count()).toBe(2);
    await screenshot(page, 'tests-pass');
  });

  it('shows the differing step and its key-level session diff after a code change', async () => {
    const code = path.join(ui!.app.dir, 'session_example.py');
    const before = await readFile(code, 'utf8');
    await writeFile(
      code,
      before.replace("data['name'] = form['name']", "data['name'] = form['name'].upper()"),
    );
    await page.getByRole('button', { name: 'Run all' }).click();
    const file = page.locator('.tests-files li[data-test="tests/ann.psetest"]');
    await file.locator('[aria-label="failed"]').waitFor({ timeout: 60_000 });
    const bad = file.locator('tr[data-ok="false"]').first();
    expect(await bad.innerText()).toContain("session: '' 'name': expected 'Ann', got 'ANN'");
    await screenshot(page, 'tests-fail');
    await bad.getByRole('button', { name: /^line \d+$/ }).click();
    await page.locator('.editor-host[data-file="tests/ann.psetest"]').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
