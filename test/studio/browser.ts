/** Chromium through playwright-core (found or installed by chromium.ts), and small helpers to
 * drive the Studio page. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromium } from './chromium.js';
import { REPO } from './helpers.js';

export const ARTIFACTS = path.join(REPO, 'test-artifacts');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: ensureChromium(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`) });
}

/** Replaces the whole text of the active editor, as typing would (no auto-closing). */
export async function replaceEditorText(page: Page, text: string): Promise<void> {
  await page.locator('.editor-host .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(text);
}

export async function openFile(page: Page, file: string): Promise<void> {
  await page.locator(`.tree-item[data-path="${file}"]`).click();
  await page.locator(`.editor-host[data-file="${file}"]`).waitFor();
}
