/** Chromium through playwright-core (found or installed by chromium.ts), and small helpers to
 * drive the Studio page. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromium } from './chromium.js';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { copyExamples, RENDERER_DIR, REPO } from './helpers.js';

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

/** Studio in browser mode on a copy of examples/, its embedded server started, a page open on it. */
export interface StudioPage {
  app: { dir: string; remove(): Promise<void> };
  studio: RunningWebStudio;
  browser: Browser;
  page: Page;
  /** the embedded server's URL */
  server: string;
  /** errors the page threw (a test expects none) */
  pageErrors: string[];
  close(): Promise<void>;
}

export async function openStudioPage(
  o: {
    /** more files for the app (name → text) */
    files?: Record<string, string>;
    workers?: number;
    viewport?: { width: number; height: number };
    /** runs before the page loads Studio (e.g. to route its socket through the test) */
    beforeLoad?: (page: Page) => Promise<void>;
  } = {},
): Promise<StudioPage> {
  const app = await copyExamples();
  for (const [f, text] of Object.entries(o.files ?? {}))
    await writeFile(path.join(app.dir, f), text);
  const studio = await launchWebStudio({
    appRoot: app.dir,
    workers: o.workers ?? 1,
    rendererDir: RENDERER_DIR,
  });
  const server = (await studio.service.startServer(0)).url!;
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: o.viewport ?? { width: 1500, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await o.beforeLoad?.(page);
  await page.goto(studio.url);
  return {
    app,
    studio,
    browser,
    page,
    server,
    pageErrors,
    close: async () => {
      await browser.close();
      await studio.close();
      await app.remove();
    },
  };
}
