/**
 * The console tells a preview's lines from real traffic by the request each line names, not by
 * what it quotes: a real request to the URL a preview is running, and a preview's own
 * `server.log` lines, each land on their own channel.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/common/api.js';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

const FILES: Record<string, string> = {
  'slowlog.pt': '<p>logged</p>\n',
  // the editor's preview comes with Host studio.preview: it logs, then takes its time
  'slowlog.py': `import time
from pse.plugins import request, server
editor = request.headers.get('host', '') == 'studio.preview'
server.log('slowlog from the editor' if editor else 'slowlog from a visitor')
if editor:
    time.sleep(2)
`,
};

describe('PSE Studio: console channels', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  const lines: LogLine[] = [];

  beforeAll(async () => {
    app = await copyExamples();
    for (const [f, text] of Object.entries(FILES)) await writeFile(path.join(app.dir, f), text);
    studio = await launchWebStudio({ appRoot: app.dir, workers: 2, rendererDir: RENDERER_DIR });
    studio.service.onLog((l) => lines.push(l));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(studio.url);
    await page.locator('.tree-item[data-path="slowlog.pt"]').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  const shown = (text: string) => page.locator('.console .log-line', { hasText: text });

  it('puts a real request made while a preview of its URL runs on the server channel, and the preview’s own lines on the preview channel', async () => {
    const { url } = await studio.service.startServer(0);
    await openFile(page, 'slowlog.pt');
    // the preview is running (it has logged, and sleeps): a visitor asks for the same URL
    await until(
      () => lines.some((l) => l.text.includes('slowlog from the editor')),
      'the preview to run',
      30_000,
    );
    expect(await (await fetch(new URL('slowlog.pt', url!))).text()).toContain('logged');
    const visit = await until(
      () =>
        lines.find(
          (l) => l.kind === 'access' && l.text.includes('"GET /slowlog.pt"') && !l.preview,
        ),
      "the visitor's access line",
    );
    await until(
      () =>
        lines.find((l) => l.kind === 'access' && l.text.includes('"GET /slowlog.pt"') && l.preview),
      "the preview's access line",
      30_000,
    );
    // every line about a request names it; a request's lines name the same one
    const about = (text: string) => lines.find((l) => l.text.includes(text))?.request;
    expect(about('slowlog from a visitor')).toBe(visit.request);
    expect(about('slowlog from the editor')).toBeGreaterThan(0);
    expect(about('slowlog from the editor')).not.toBe(visit.request);

    await page.getByRole('tab', { name: /^Console/ }).click();
    await shown('slowlog from a visitor').waitFor();
    expect(await shown('GET /slowlog.pt"').count()).toBe(1);
    expect(await shown('slowlog from the editor').count()).toBe(0);
    await screenshot(page, 'console-server-channel');

    await page.getByLabel('Console channel').selectOption('preview');
    await shown('slowlog from the editor').first().waitFor();
    expect(await shown('GET /slowlog.pt"').count()).toBeGreaterThanOrEqual(1);
    expect(await shown('slowlog from a visitor').count()).toBe(0);
    expect(
      await page
        .locator('.console .log-line', { hasText: 'slowlog from the editor' })
        .first()
        .getAttribute('data-request'),
    ).toBe(String(about('slowlog from the editor')));
  });
});
