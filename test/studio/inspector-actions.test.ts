/**
 * The inspector's destructive actions ask first and end cleanly; previews stay out of the
 * request log; inputs are checked when committed; dates read as dates; the console stamps a
 * line once and keeps a traceback's lines.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

describe('PSE Studio inspector actions', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  let server = '';
  const pageErrors: string[] = [];
  const tab = (name: string) => page.getByRole('tab', { name: new RegExp(`^${name}`) });
  const rows = () => page.locator('.log-rows tr[data-serial]');
  const noNotice = async () => {
    await page.waitForTimeout(500);
    expect(await page.locator('.notice').count()).toBe(0);
  };

  beforeAll(async () => {
    app = await copyExamples();
    await writeFile(path.join(app.dir, 'boom.pt'), '<p>boom</p>\n');
    await writeFile(path.join(app.dir, 'boom.py'), "raise ValueError('kaboom')\n");
    await writeFile(path.join(app.dir, 'rb.pt'), '<p>rb</p>\n');
    await writeFile(
      path.join(app.dir, 'rb.py'),
      "from pse.plugins import session\ndata = session.new()\ndata['kept'] = 1\nif pse.form.has_key('fail'):\n    data['doomed'] = 2\n    raise ValueError('no')\n",
    );
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(studio.url);
    await page.locator('.tree-item[data-path="hello.pt"]').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  it('refuses a bad port with a message beside the field, gone once the port is fixed', async () => {
    const port = page.getByLabel('Server port');
    await port.fill('80a');
    await port.press('Enter');
    const message = page.locator('.server-bar .field-message');
    await message.waitFor();
    expect(await message.innerText()).toContain('digits only');
    expect(await port.inputValue()).toBe('80a');
    await page.getByRole('button', { name: 'Start server' }).click();
    await page.waitForTimeout(300);
    expect((await studio.service.serverStatus()).running).toBe(false);
    await port.fill('0');
    await message.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Start server' }).click();
    await page.locator('a.server-url').waitFor();
    server = (await studio.service.serverStatus()).url!;
    await page
      .locator('.notice')
      .count()
      .then((n) =>
        page
          .locator('.notice button')
          .click()
          .catch(() => n),
      );
  });

  it('keeps previews out of the request log unless asked for', async () => {
    await openFile(page, 'session_example.pt');
    await page.frameLocator('iframe.preview-frame').locator('body').waitFor({ timeout: 30_000 });
    await fetch(new URL('session_example.pt?name=Ann', server));
    await tab('Requests').click();
    await until(async () => (await rows().count()) >= 1, 'the real request');
    expect(await page.locator('.log-rows tr[data-outcome="preview"]').count()).toBe(0);
    await page.getByLabel('previews').check();
    await page.locator('.log-rows tr[data-outcome="preview"]').first().waitFor();
  });

  it('checks the status filter when committed, with the message beside it', async () => {
    const status = page.getByLabel('Filter by status');
    await status.fill('2x');
    await status.press('Enter');
    await page.locator('.log-side .field-message').waitFor();
    await noNotice();
    await status.fill('200');
    await page.locator('.log-side .field-message').waitFor({ state: 'detached' });
    await status.press('Enter');
    await until(async () => (await rows().count()) >= 1, 'the filtered rows');
  });

  it('shows session dates as dates', async () => {
    await tab('Sessions').click();
    const row = page.locator('.session-list tbody tr').first();
    await row.waitFor();
    const expires = await row.locator('td').nth(3).innerText();
    expect(expires).toMatch(/^(today|tomorrow) \d\d:\d\d \(in \d+ (s|min|h|d)\)$/);
  });

  it('asks before deleting a session, and shows no error once it is gone', async () => {
    await page.locator('.session-list tbody tr').first().click();
    await page.getByRole('button', { name: 'Delete session' }).click();
    const ask = page.getByRole('dialog', { name: 'Delete session' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    expect((await studio.service.listSessions()).length).toBe(1);
    await page.getByRole('button', { name: 'Delete session' }).click();
    await ask.getByRole('button', { name: 'Delete' }).click();
    await until(async () => (await studio.service.listSessions()).length === 0, 'the delete');
    await noNotice();
  });

  it('asks before clearing the log, and clears it without an error', async () => {
    await tab('Requests').click();
    await page.getByRole('button', { name: 'Clear log' }).click();
    const ask = page.getByRole('dialog', { name: 'Clear log' });
    await ask.waitFor();
    await screenshot(page, 'inspector-clear-log-confirm');
    await ask.getByRole('button', { name: 'Cancel' }).click();
    expect(await rows().count()).toBeGreaterThan(0);
    await page.getByRole('button', { name: 'Clear log' }).click();
    await ask.getByRole('button', { name: 'Clear log' }).click();
    await until(async () => (await rows().count()) === 0, 'an empty log');
    await noNotice();
  });

  it('strikes through only the discarded changes of a rollback, not the keys it left alone', async () => {
    const first = await fetch(new URL('rb.pt', server));
    const cookie = first.headers.getSetCookie()[0]!.split(';')[0]!;
    await fetch(new URL('rb.pt?fail=1', server), { headers: { cookie } });
    await tab('Requests').click();
    await page.locator('.log-rows tr[data-outcome="rolled_back"]').first().click();
    const discarded = page.locator('.ns-change.discarded');
    await discarded.locator('.view-line', { hasText: 'kept' }).first().waitFor({ timeout: 30_000 });
    const decoration = (loc: ReturnType<typeof discarded.locator>) =>
      loc.evaluate((e) => getComputedStyle(e).textDecorationLine);
    expect(
      await decoration(discarded.locator('.view-line span', { hasText: 'kept' }).first()),
    ).toBe('none');
    expect(await decoration(discarded.locator('.key-diff').first())).toContain('line-through');
    await screenshot(page, 'inspector-rollback-unchanged-keys');
  });

  it('shows a request with its full URL, timing, headers and the body rendered and as source', async () => {
    await page.locator('.log-rows tr[data-outcome="rolled_back"]').first().click();
    const detail = page.locator('.log-detail');
    expect(await detail.locator('.toolbar b').innerText()).toContain('GET /rb.pt?fail=1');
    expect(await detail.locator('.request-timing').innerText()).toMatch(/500 · \d+ ms/);
    await detail.locator('details.io:not(.response) summary').click();
    await detail
      .locator('.pairs th', { hasText: /^cookie$/i })
      .first()
      .waitFor();
    // the committed request: its page, rendered (no scripts) and as source
    await page.locator('.log-rows tr[data-outcome="committed"]', { hasText: '/rb.pt' }).click();
    await detail.locator('details.response summary').click();
    const frame = detail.locator('iframe.response-frame');
    await frame.waitFor();
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await frame.getAttribute('srcdoc')).toContain('<p>rb</p>');
    expect(await detail.frameLocator('iframe.response-frame').locator('p').innerText()).toBe('rb');
    await detail.getByLabel('source').check();
    expect(await detail.locator('details.response pre.body').innerText()).toContain('<p>rb</p>');
  });

  it('asks before replaying a request for real, and says apart what differs in the session', async () => {
    await page.locator('.log-rows tr[data-outcome="rolled_back"]').first().click();
    await page.getByRole('button', { name: 'Replay', exact: true }).click();
    const ask = page.getByRole('dialog', { name: 'Replay' });
    await ask.waitFor();
    await ask.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForTimeout(300);
    expect(await page.locator('.replay').count()).toBe(0);
    await page.getByRole('button', { name: 'Replay on the state before (dry run)' }).click();
    const result = page.locator('.replay');
    await result.waitFor({ timeout: 30_000 });
    expect(await result.innerText()).toContain('same outcome as the original');
    expect(await result.locator('.replay-session').innerText()).toContain(
      'The session ends the same.',
    );
  });

  it('labels the tick chosen on the timeline, with time and path on hover and a time axis', async () => {
    await tab('Sessions').click();
    await page.locator('.session-list tbody tr').first().click();
    await tab('Timeline').click();
    const ticks = page.locator('.ticks .tick');
    await until(async () => (await ticks.count()) >= 2, 'the ticks of the session');
    const first = ticks.first();
    expect(await first.getAttribute('title')).toMatch(/today \d\d:\d\d.*GET \/rb\.pt/);
    expect((await page.locator('.tick-time').first().innerText()).length).toBeGreaterThan(0);
    await ticks.nth(1).click();
    const label = page.locator('.tick-label');
    await label.waitFor();
    const serial = await ticks.nth(1).getAttribute('data-serial');
    expect(await label.innerText()).toMatch(new RegExp(`^After #${serial} · GET /rb\\.pt`));
    await screenshot(page, 'timeline');
  });

  it('stamps a console line once and keeps the lines of a traceback', async () => {
    await fetch(new URL('boom.pt', server));
    await tab('Console').click();
    const error = page.locator('.log-line.error', { hasText: 'kaboom' }).first();
    await error.waitFor({ timeout: 30_000 });
    const lines = await page.locator('.log-line').allInnerTexts();
    for (const l of lines) expect(l).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    expect((await error.innerText()).split('\n').length).toBeGreaterThan(2);
    await screenshot(page, 'console');
    // previews on a channel of their own: none among the server's lines
    await page.locator('.console .log-line', { hasText: 'GET /boom.pt' }).first().waitFor();
    expect(
      await page.locator('.console .log-line', { hasText: 'GET /session_example.pt"' }).count(),
    ).toBe(0);
    await page.getByLabel('Console channel').selectOption('preview');
    await page
      .locator('.console .log-line', { hasText: 'GET /session_example.pt"' })
      .first()
      .waitFor();
    expect(pageErrors).toEqual([]);
  });
});
