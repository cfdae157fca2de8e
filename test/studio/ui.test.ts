/**
 * PSE Studio in a real browser against a real `pse studio --web` on a copy of examples/:
 * edit → preview, markers for template and runtime errors, recovery, save, embedded server.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, replaceEditorText, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

const TEMPLATE = `<!DOCTYPE html>
<html>
<head><title>Session example</title></head>
<body>
<p><? if name: ?>Hello, <?= name ?>!<? :else: ?>I don't know who you are.<? :if ?></p>
</body>
</html>
`;

describe('PSE Studio in the browser', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  let preview: FrameLocator;
  const pageErrors: string[] = [];

  const problems = () => page.locator('.problems');
  const previewText = () => preview.locator('body').innerText({ timeout: 5000 });

  beforeAll(async () => {
    app = await copyExamples();
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(studio.url);
    preview = page.frameLocator('iframe.preview-frame');
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  it('opens the example app: tree, editor and a live preview', async () => {
    await page.locator('.tree-item[data-path="session_example.pt"]').waitFor();
    await openFile(page, 'session_example.pt');
    await until(
      async () => (await previewText()).includes("I don't know who you are."),
      'the first preview',
    );
    await screenshot(page, 'studio-open');
  });

  it('resolves the stylesheet of a previewed page against the app, sandboxed', async () => {
    await openFile(page, 'index.pt');
    await until(async () => (await previewText()).includes('PSE examples'), 'the index page');
    // static/style.css sets the body's max-width: the link resolved through the preview origin.
    await until(
      async () =>
        (await preview.locator('body').evaluate((b) => getComputedStyle(b).maxWidth)) !== 'none',
      'the stylesheet to apply',
    );
    const sandbox = await page.locator('iframe.preview-frame').getAttribute('sandbox');
    expect(sandbox).not.toContain('allow-same-origin');
    const src = (await page.locator('iframe.preview-frame').getAttribute('src'))!;
    expect(new URL(src).origin).not.toBe(new URL(studio.url).origin);
    // The page cannot reach the Studio: its origin is opaque.
    expect(await preview.locator('body').evaluate(() => window.origin)).toBe('null');
  });

  it('shows an edit of the template in the preview, unsaved', async () => {
    await openFile(page, 'session_example.pt');
    await replaceEditorText(page, TEMPLATE.replace("I don't know who you are.", 'Who goes there?'));
    await until(
      async () => (await previewText()).includes('Who goes there?'),
      'the edited preview',
    );
    expect(await page.locator('.tab.active.dirty').count()).toBe(1);
    expect(await readFile(path.join(app.dir, 'session_example.pt'), 'utf8')).toContain(
      "I don't know who you are.",
    );
  });

  it('marks an unclosed block on its line', async () => {
    await replaceEditorText(page, '<html>\n<body>\n<? if name: ?>\nHello\n</body>\n');
    await until(
      async () => (await problems().innerText()).includes('session_example.pt:3:1'),
      'a problem at 3:1',
    );
    expect(await problems().innerText()).toMatch(/never closed/);
    await page.locator('.editor-host .squiggly-error').first().waitFor();
    await screenshot(page, 'studio-compile-error');
    await replaceEditorText(page, TEMPLATE);
    await until(
      async () => (await problems().innerText()).includes('No problems'),
      'the problem to clear',
    );
  });

  it('shows a runtime error of the code module with a marker on the raising line, and recovers', async () => {
    await openFile(page, 'session_example.py');
    const original = await readFile(path.join(app.dir, 'session_example.py'), 'utf8');
    // Typed on the empty last line, at module level (no auto-indent).
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.insertText("raise ValueError('boom')");
    const raiseLine = original.split('\n').length;
    await until(
      async () => (await page.locator('.preview-error').innerText()).includes('ValueError: boom'),
      'the error in the pane',
    );
    await until(
      async () => (await problems().innerText()).includes(`session_example.py:${raiseLine}:`),
      'a runtime marker',
    );
    await page.locator('.editor-host .squiggly-error').first().waitFor();
    await screenshot(page, 'studio-runtime-error');
    // Delete the typed line again: the cursor is still at its end.
    await page.keyboard.press('Shift+Home');
    await page.keyboard.press('Backspace');
    await until(
      async () => (await previewText()).includes("I don't know who you are."),
      'the preview to recover',
    );
    expect(await page.locator('.preview-error').count()).toBe(0);
    expect(await page.locator('.editor-host .squiggly-error').count()).toBe(0);
  });

  it('previews ?name=Nick as a dry run', async () => {
    await page.getByLabel('Query').fill('name=Nick');
    await until(async () => (await previewText()).includes('Hello, Nick!'), 'the greeting');
    const pending = page.locator('.pending');
    await until(async () => (await pending.innerText()).includes('+ name'), 'the pending change');
    expect(await pending.innerText()).toContain("after: {name: 'Nick'}");
    expect(await pending.innerText()).toContain('(new)');
    await screenshot(page, 'studio-preview-query');
    // A dry run: the store has no session afterwards.
    expect(await studio.service.listSessions()).toEqual([]);
  });

  it('saves with Ctrl+S', async () => {
    await openFile(page, 'hello.py');
    await replaceEditorText(page, "greeting = 'Saved from Studio'\n");
    await page.keyboard.press('ControlOrMeta+S');
    await until(
      async () =>
        (await readFile(path.join(app.dir, 'hello.py'), 'utf8')).includes('Saved from Studio'),
      'the file on disk',
    );
    await until(
      async () => (await page.locator('.tab.active.dirty').count()) === 0,
      'the dirty marker to clear',
    );
  });

  it('starts the embedded server, which answers on its port, and stops it', async () => {
    await page.getByLabel('Server port').fill('0');
    await page.getByRole('button', { name: 'Start server' }).click();
    const link = page.locator('a.server-url');
    await link.waitFor();
    const url = (await link.getAttribute('href'))!;
    const res = await fetch(new URL('hello.pt', url));
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Saved from Studio');
    // A real request through the server does store a session; the preview can then run in it.
    const real = await fetch(new URL('session_example.pt?name=Real', url));
    expect(await real.text()).toContain('Hello, Real!');
    const [session] = await studio.service.listSessions();
    expect(session).toBeDefined();
    await openFile(page, 'session_example.pt');
    await page.getByLabel('Query').fill('');
    await page.getByLabel('Session', { exact: true }).focus();
    await until(
      async () =>
        (await page
          .locator(`select[aria-label="Session"] option[value="${session!.id}"]`)
          .count()) === 1,
      'the session in the list',
    );
    await page.getByLabel('Session', { exact: true }).selectOption(session!.id);
    await until(
      async () => (await previewText()).includes('Hello, Real!'),
      'the preview in the existing session',
    );
    await until(
      async () =>
        (await page.getByRole('tab', { name: /Console/ }).innerText()).match(/Console \d+/),
      'console lines',
    );
    await page.getByRole('tab', { name: /Console/ }).click();
    await until(
      async () => (await page.locator('.console').innerText()).includes('hello.pt'),
      'an access line',
    );
    await screenshot(page, 'studio-server');
    await page.getByRole('button', { name: 'Stop server' }).click();
    await page.getByRole('button', { name: 'Start server' }).waitFor();
    await expect(fetch(new URL('hello.pt', url))).rejects.toThrow();
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
