/**
 * A session the previewed page makes lives in the preview frame alone: the frame's next request
 * runs against it, and nothing of it reaches the store or the inspector.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

const FILES: Record<string, string> = {
  'visits.pt': `<!DOCTYPE html>
<html><body><p id="count">visits: <?= visits ?></p><a id="again" href="visits.pt">again</a></body></html>
`,
  'visits.py': `from pse.plugins import session
data = session.new()
data['visits'] = data.get('visits', 0) + 1
visits = data['visits']
`,
};

describe('PSE Studio: the preview frame has a session of its own', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  let preview: FrameLocator;

  beforeAll(async () => {
    app = await copyExamples();
    for (const [f, text] of Object.entries(FILES)) await writeFile(path.join(app.dir, f), text);
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(studio.url);
    preview = page.frameLocator('iframe.preview-frame');
    await page.locator('.tree-item[data-path="visits.pt"]').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  const count = () => preview.locator('#count').innerText({ timeout: 5000 });

  /** Follows the page's link inside the frame and waits for the new document's count. */
  async function follow(expected: number): Promise<void> {
    // a mark on the document shown now: the next one has none
    await preview.locator('body').evaluate((b) => b.setAttribute('data-old', ''));
    // the link's own click in the document: a pointer click lands at coordinates, which a
    // re-render of the bar above the frame can move between aiming and clicking
    await preview.locator('#again').evaluate((a: HTMLElement) => a.click(), undefined, {
      timeout: 30_000,
    });
    await until(
      async () =>
        (await preview.locator('body[data-old]').count()) === 0 &&
        (await count()) === `visits: ${expected}`,
      `visits: ${expected} in the frame`,
      30_000,
    ).catch(async (err: Error) => {
      const shown = await preview
        .locator('body')
        .evaluate(
          (b) =>
            `${b.hasAttribute('data-old') ? 'the old document' : 'a new one'}: ${b.textContent ?? ''}`,
        )
        .catch((e: Error) => e.message);
      throw new Error(`${err.message}; the frame shows ${shown}`);
    });
  }

  it('counts 1, 2, 3 over three navigations inside the frame, storing no session', async () => {
    await openFile(page, 'visits.pt');
    await until(async () => (await count()) === 'visits: 1', 'the first preview', 30_000);
    const seen: string[] = [];
    for (const n of [1, 2, 3]) {
      await follow(n);
      seen.push(await count());
    }
    expect(seen).toEqual(['visits: 1', 'visits: 2', 'visits: 3']);
    await screenshot(page, 'preview-frame-session');

    // the store and the inspector know nothing of it
    expect(await studio.service.listSessions()).toEqual([]);
    expect(
      (await studio.service.inspectorSessions({ offset: 0, limit: 50, search: '' })).total,
    ).toBe(0);
    await page.getByRole('tab', { name: /^Sessions/ }).click();
    await page.locator('.session-list .empty', { hasText: 'No sessions yet.' }).waitFor();
    expect(await page.locator('.session-list tbody tr').count()).toBe(0);
  });

  it('starts the frame over when another session is chosen in the preview bar', async () => {
    await page.getByLabel('Session', { exact: true }).selectOption('fresh');
    await until(async () => (await count()) === 'visits: 1', 'the re-rendered preview', 30_000);
    await follow(1);
    await follow(2);
    expect(await studio.service.listSessions()).toEqual([]);
  });

  it("keeps the frame's jar under a cookie of the preview origin, and never passes on the app's cookies", async () => {
    const ask = (session: 'none' | 'fresh') =>
      studio.service.preview({
        path: 'visits.pt',
        overrides: {},
        method: 'GET',
        query: '',
        form: [],
        cookies: {},
        session: { kind: session },
      });
    const doc = await fetch((await ask('none')).documentUrl);
    const setJar = doc.headers.getSetCookie();
    expect(setJar).toHaveLength(1);
    expect(setJar[0]).toMatch(
      /^__pse_preview_jar=[\w-]{16}; Path=\/; HttpOnly; Secure; SameSite=None$/,
    );
    const jar = setJar[0]!.split(';')[0]!;
    const origin = new URL(doc.url).origin;
    const visit = async (cookie?: string) => {
      const res = await fetch(`${origin}/visits.pt`, cookie ? { headers: { cookie } } : {});
      // the session cookie the page would set never reaches the frame
      expect(res.headers.getSetCookie().some((c) => !c.startsWith('__pse_preview_jar='))).toBe(
        false,
      );
      return /visits: (\d+)/.exec(await res.text())?.[1];
    };
    expect([await visit(jar), await visit(jar), await visit(`other=1; ${jar}`)]).toEqual([
      '1',
      '2',
      '3',
    ]);
    // another frame (no jar yet) starts from the preview bar's choice
    expect(await visit()).toBe('1');
    // another choice in the preview bar: every jar starts over
    await ask('fresh');
    expect(await visit(jar)).toBe('1');
    expect(await studio.service.listSessions()).toEqual([]);
  });
});
