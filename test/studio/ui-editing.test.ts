/**
 * The editor and the preview never surprise: a page previewed in Studio never writes a session,
 * typing a PI leaves exactly what was typed, quick open never edits, one error is one problem,
 * and the highlighter reads a PI as the engine does.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, replaceEditorText, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

const EXTRA: Record<string, string> = {
  'nav.pt': `<!DOCTYPE html>
<html><body>
<a id="go" href="session_example.pt?name=Frame">go</a>
<form method="post" action="session_example.pt"><input name="name" value="Posted"><button id="post">post</button></form>
</body></html>
`,
  'nav.py': '',
  'typed.pt': '',
  'typed.py': '',
};

describe('PSE Studio: preview and editor safety', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  let preview: FrameLocator;
  const pageErrors: string[] = [];
  const model = () => page.locator('.editor-host .view-lines');

  /**
   * Clicks `selector` in the preview until the frame shows `result`: again when, 3 s on, the
   * frame still shows the page with it (`pageText`), since a late preview of the file may have
   * replaced the frame under the click. Previews are dry runs: a second click stores nothing.
   */
  async function clickInFrame(selector: string, pageText: string, result: string, what: string) {
    let clickedAt = 0;
    await until(
      async () => {
        const text = await preview.locator('body').innerText({ timeout: 5000 });
        if (text.includes(result)) return true;
        if (text.includes(pageText) && Date.now() - clickedAt > 3000) {
          clickedAt = Date.now();
          await preview.locator(selector).click({ timeout: 5000 });
        }
        return false;
      },
      what,
      30_000,
    );
  }

  beforeAll(async () => {
    app = await copyExamples();
    for (const [f, text] of Object.entries(EXTRA)) await writeFile(path.join(app.dir, f), text);
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(studio.url);
    preview = page.frameLocator('iframe.preview-frame');
    await page.locator('.tree-item[data-path="nav.pt"]').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  it('runs a link followed and a form posted inside the preview as dry runs, showing the diff', async () => {
    await openFile(page, 'nav.pt');
    await clickInFrame('#go', 'go', 'Hello, Frame!', 'the followed link in the frame');
    const pending = page.locator('.pending');
    await until(async () => (await pending.innerText()).includes("'Frame'"), 'its pending diff');
    expect(await page.locator('.preview-navigation').innerText()).toContain(
      'GET /session_example.pt?name=Frame',
    );
    expect(await studio.service.listSessions()).toEqual([]);

    // back to the page with the form: a new preview of the edited file
    await replaceEditorText(page, EXTRA['nav.pt']!.replace('go</a>', 'go!</a>'));
    await until(
      async () => (await preview.locator('body').innerText({ timeout: 5000 })).includes('go!'),
      'the page again',
      30_000,
    );
    await clickInFrame('#post', 'go!', 'Hello, Posted!', 'the posted form in the frame');
    await until(async () => (await pending.innerText()).includes("'Posted'"), 'its pending diff');
    expect(await page.locator('.preview-navigation').innerText()).toContain('POST');
    await screenshot(page, 'preview-navigation-dry-run');
    expect(await studio.service.listSessions()).toEqual([]);
  });

  it('types <?= it ?> as exactly that, with no stray ?>', async () => {
    await openFile(page, 'typed.pt');
    await model().click();
    await page.keyboard.type('<p><?= it ?></p>');
    await until(async () => (await model().innerText()).includes('</p>'), 'the typed text');
    expect((await model().innerText()).replace(/\u00a0/g, ' ')).toBe('<p><?= it ?></p>');
  });

  it('does not end a PI at a ?> inside a Python string', async () => {
    await replaceEditorText(page, '<? s = "a?>b" ?>after\n');
    // one string token from quote to quote: the ?> inside it did not end the PI
    await page.locator('.editor-host .view-line span span', { hasText: /^"a\?>b"$/ }).waitFor();
    const color = (text: string) =>
      page
        .locator('.editor-host .view-line span span', { hasText: new RegExp(`^${text}$`) })
        .first()
        .evaluate((e) => getComputedStyle(e).color);
    expect(await color('"a\\?>b"')).not.toBe(await color('after'));
  });

  it('opens a file with quick open + Enter without editing the file already open', async () => {
    await openFile(page, 'hello.pt');
    await openFile(page, 'hello.py');
    // the editor's host is there before Monaco has drawn the file's lines
    const before = await until(async () => await model().innerText(), 'hello.py drawn');
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('ControlOrMeta+P');
    await page.getByLabel('Go to file').fill('hello.pt');
    await page.getByLabel('Go to file').press('Enter');
    await page.locator('.editor-host[data-file="hello.pt"]').waitFor();
    const original = await readFile(path.join(app.dir, 'hello.pt'), 'utf8');
    await page.waitForTimeout(300);
    expect(await page.locator('.tab.dirty[data-path^="hello."]').count()).toBe(0);
    expect((await model().innerText()).split('\n').length).toBe(
      original.replace(/\n$/, '').split('\n').length,
    );
    await openFile(page, 'hello.py');
    await until(async () => (await model().innerText()) === before, 'hello.py as it was');
  });

  it('lists a syntax error in a PI once in Problems', async () => {
    await openFile(page, 'session_example.pt');
    const text = await readFile(path.join(app.dir, 'session_example.pt'), 'utf8');
    await replaceEditorText(page, text.replace('<p>', '<p><? x = = 1 ?>'));
    const problems = page.locator('.problems');
    await until(
      async () => (await problems.innerText()).includes('session_example.pt:5'),
      'the syntax error',
      30_000,
    );
    // the preview ran too (it reports the same error): still one entry
    await until(
      async () => (await page.locator('.preview-error').count()) > 0,
      'the preview error',
      30_000,
    );
    await page.waitForTimeout(500);
    expect(await problems.locator('li.problem').count()).toBe(1);
    await replaceEditorText(page, text);
    await until(async () => (await problems.innerText()).includes('No problems'), 'no problems');
  });

  it('asks before saving over a change made on disk: compare, overwrite or reload', async () => {
    const file = path.join(app.dir, 'include_demo.py');
    await openFile(page, 'include_demo.py');
    await replaceEditorText(page, 'mine = 1\n');
    await writeFile(file, 'theirs = 2\n');
    await page.keyboard.press('ControlOrMeta+S');
    const ask = page.getByRole('dialog', { name: 'Changed on disk' });
    await ask.waitFor();
    expect(await readFile(file, 'utf8')).toBe('theirs = 2\n');
    await ask.getByRole('button', { name: 'Compare' }).click();
    const compare = page.getByRole('dialog', { name: 'Compare include_demo.py' });
    await compare.locator('.monaco-diff-editor').waitFor();
    await until(
      async () => (await compare.innerText()).includes('theirs'),
      'the text on disk in the comparison',
    );
    await screenshot(page, 'editor-save-conflict-compare');
    await compare.getByRole('button', { name: 'Overwrite with mine' }).click();
    await until(async () => (await readFile(file, 'utf8')) === 'mine = 1\n', 'my text on disk');

    // A comparison closed while its diff is still being computed cancels it quietly.
    for (let round = 0; round < 5; round++) {
      await replaceEditorText(page, `mine = ${round}\n`);
      await writeFile(file, `theirs = ${round}\n`);
      await page.keyboard.press('ControlOrMeta+S');
      await ask.getByRole('button', { name: 'Compare' }).click();
      await compare.getByRole('button', { name: 'Cancel' }).click();
      await compare.waitFor({ state: 'detached' });
    }
    await page.waitForTimeout(500);
    expect(pageErrors).toEqual([]);
    await replaceEditorText(page, 'mine = 1\n');
    await page.keyboard.press('ControlOrMeta+S');
    await ask.getByRole('button', { name: 'Overwrite' }).click();
    await until(async () => (await readFile(file, 'utf8')) === 'mine = 1\n', 'my text on disk');

    await replaceEditorText(page, 'mine again = 1\n');
    await writeFile(file, 'theirs again = 2\n');
    await page.keyboard.press('ControlOrMeta+S');
    await ask.getByRole('button', { name: 'Reload' }).click();
    await until(
      async () => /theirs\s+again/.test(await model().innerText()),
      'the text from disk in the editor',
    );
    expect(await page.locator('.tab.dirty[data-path="include_demo.py"]').count()).toBe(0);
    expect(await readFile(file, 'utf8')).toBe('theirs again = 2\n');
  });

  it('offers to save again, or close, a tab whose file was deleted on disk', async () => {
    const file = path.join(app.dir, 'include_demo.py');
    await rm(file);
    const bar = page.locator('.file-bar');
    await bar.waitFor({ timeout: 30_000 });
    expect(await bar.innerText()).toContain('deleted on disk');
    await bar.getByRole('button', { name: 'Save it again' }).click();
    await until(
      async () => (await readFile(file, 'utf8').catch(() => '')) === 'theirs again = 2\n',
      'the file back on disk',
    );
    await bar.waitFor({ state: 'detached' });
  });

  it('raised no page errors', () => {
    expect(pageErrors).toEqual([]);
  });
});
