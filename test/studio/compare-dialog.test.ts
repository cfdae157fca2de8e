/**
 * Saving over a file changed on disk offers a comparison in which the lines that differ are
 * marked, on both sides, and no other line is.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, replaceEditorText, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

const DISK = ['one = 1', 'two = 2', 'third = "theirs"', 'four = 4', 'five = 5', ''].join('\n');
const MINE = ['one = 1', 'two = 2', 'third = "mine"', 'four = 4', 'five = 5', 'six = 6', ''].join(
  '\n',
);

/** The line numbers of one side of the diff editor that carry `mark` (line-insert / line-delete). */
function markedLines(side: Locator, mark: string): Promise<number[]> {
  return side.evaluate((ed, cls) => {
    const tops = new Set(
      Array.from(ed.querySelectorAll(`.view-overlays .${cls}`)).map(
        (e) => (e.closest('.view-overlays > div') as HTMLElement).style.top,
      ),
    );
    return Array.from(ed.querySelectorAll<HTMLElement>('.margin-view-overlays > div'))
      .filter((d) => tops.has(d.style.top))
      .map((d) => Number(d.querySelector('.line-numbers')?.textContent))
      .filter((n) => n > 0)
      .sort((a, b) => a - b);
  }, mark);
}

describe('PSE Studio: comparing with the file on disk', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    app = await copyExamples();
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(studio.url);
    await page.locator('.tree-item[data-path="hello.py"]').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  it('marks the changed lines, and only those, on both sides', async () => {
    const file = path.join(app.dir, 'hello.py');
    await writeFile(file, DISK);
    await openFile(page, 'hello.py');
    await until(
      async () => (await page.locator('.editor-host .view-lines').innerText()).includes('theirs'),
      'the text on disk in the editor',
    );
    await replaceEditorText(page, MINE);
    await writeFile(file, DISK.replace('one = 1', 'one = 1  # touched'));
    await page.keyboard.press('ControlOrMeta+S');
    await page
      .getByRole('dialog', { name: 'Changed on disk' })
      .getByRole('button', { name: 'Compare' })
      .click();
    const compare = page.getByRole('dialog', { name: 'Compare hello.py' });
    const original = compare.locator('.editor.original');
    const modified = compare.locator('.editor.modified');
    await until(
      async () => (await markedLines(modified, 'line-insert')).length > 0,
      'the changed lines marked',
    );
    expect(await markedLines(original, 'line-delete')).toEqual([1, 3]);
    expect(await markedLines(modified, 'line-insert')).toEqual([1, 3, 6]);
    await screenshot(page, 'compare-changed-lines');
    await compare.getByRole('button', { name: 'Cancel' }).click();
    expect(pageErrors).toEqual([]);
  });
});
