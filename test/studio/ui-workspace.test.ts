/**
 * The Explorer and the editor's safety nets in a real browser: create, rename, delete (with
 * confirmation), live refresh from disk, quick open, and the prompt before losing unsaved text.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

describe('PSE Studio workspace views', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;

  const exists = (rel: string) =>
    stat(path.join(app.dir, rel)).then(
      () => true,
      () => false,
    );
  const treeItem = (rel: string) => page.locator(`.tree-item[data-path="${rel}"]`);

  beforeAll(async () => {
    app = await copyExamples();
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    await page.goto(studio.url);
    await treeItem('hello.pt').waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  it('creates, renames and deletes a file from the Explorer', async () => {
    await page.getByRole('button', { name: 'New file' }).click();
    const name = page.getByRole('dialog', { name: 'New file name' }).getByRole('textbox');
    await name.fill('notes.txt');
    await name.press('Enter');
    await until(() => exists('notes.txt'), 'notes.txt on disk');
    await page.locator('.editor-host[data-file="notes.txt"]').waitFor();

    await treeItem('notes.txt').click();
    await page.getByRole('button', { name: 'Rename' }).click();
    const to = page.getByRole('dialog', { name: 'Rename notes.txt to' }).getByRole('textbox');
    await to.fill('docs/notes.md');
    await to.press('Enter');
    await until(
      async () => (await exists('docs/notes.md')) && !(await exists('notes.txt')),
      'the rename',
    );
    await treeItem('docs/notes.md').waitFor();

    await treeItem('docs/notes.md').click();
    await page.getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete' });
    expect(await confirm.innerText()).toContain('Delete docs/notes.md?');
    await screenshot(page, 'studio-delete-confirm');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await exists('docs/notes.md')).toBe(true);
    await page.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('dialog', { name: 'Delete' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await until(async () => !(await exists('docs/notes.md')), 'the delete');
  });

  it('shows files created on disk without a reload', async () => {
    await writeFile(path.join(app.dir, 'from_outside.pt'), '<p>outside</p>\n');
    await treeItem('from_outside.pt').waitFor({ timeout: 10_000 });
  });

  it('takes a change on disk into an open, unmodified file', async () => {
    await openFile(page, 'from_outside.pt');
    await writeFile(path.join(app.dir, 'from_outside.pt'), '<p>changed_outside</p>\n');
    await until(
      async () =>
        (await page.locator('.editor-host .view-lines').innerText()).includes('changed_outside'),
      'the new text in the editor',
    );
  });

  it('opens a file with quick open (Ctrl+P)', async () => {
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('ControlOrMeta+P');
    const input = page.getByRole('textbox', { name: 'Go to file' });
    await input.fill('tagsdemo');
    await screenshot(page, 'studio-quick-open');
    await input.press('Enter');
    await page.locator('.editor-host[data-file="tags_demo.pt"]').waitFor();
  });

  it('asks before closing a tab with unsaved changes, and before leaving the page', async () => {
    await openFile(page, 'hello.pt');
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('ControlOrMeta+End');
    await page.keyboard.insertText('<!-- unsaved -->');
    await page.getByRole('button', { name: 'Close hello.pt' }).click();
    const ask = page.getByRole('dialog', { name: 'Unsaved changes' });
    await ask.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.locator('.tab[data-path="hello.pt"]').count()).toBe(1);

    // Leaving the page is refused while text is unsaved (the browser then asks the user).
    const refused = await page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return e.defaultPrevented;
    });
    expect(refused).toBe(true);
    await page.keyboard.press('ControlOrMeta+S');
    // The deleted file's tab still holds its text: closing it asks too; discard it.
    await page.getByRole('button', { name: 'Close notes.md' }).click();
    await page
      .getByRole('dialog', { name: 'Unsaved changes' })
      .getByRole('button', { name: "Don't save" })
      .click();
    await until(
      async () => (await page.locator('.tab[data-path="docs/notes.md"]').count()) === 0,
      'the closed tab',
    );
    await until(
      async () => (await page.locator('.tab.dirty[data-path="hello.pt"]').count()) === 0,
      'the save',
    );
    const allowed = await page.evaluate(() => {
      const e = new Event('beforeunload', { cancelable: true });
      window.dispatchEvent(e);
      return !e.defaultPrevented;
    });
    expect(allowed).toBe(true);
    expect(await readFile(path.join(app.dir, 'hello.pt'), 'utf8')).toContain('<!-- unsaved -->');
  });
});
