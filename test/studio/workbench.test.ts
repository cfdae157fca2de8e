/**
 * The workbench in a real browser: resizable, collapsible sidebar and panel (Ctrl/Cmd+B,
 * Ctrl/Cmd+J), the request log beside the editor, the command palette (F1, Ctrl/Cmd+Shift+P),
 * the Explorer's context menu and keys, and the layout and tabs restored on the next start.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchWebStudio, type RunningWebStudio } from '../../src/main/web/launch.js';
import { launchChromium, openFile, screenshot } from './browser.js';
import { copyExamples, RENDERER_DIR, until } from './helpers.js';

describe('PSE Studio workbench', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let studio: RunningWebStudio;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const treeItem = (rel: string) => page.locator(`.tree-item[data-path="${rel}"]`);
  const width = (selector: string) =>
    page.locator(selector).evaluate((e) => e.getBoundingClientRect().width);
  const height = (selector: string) =>
    page.locator(selector).evaluate((e) => e.getBoundingClientRect().height);
  const exists = (rel: string) =>
    stat(path.join(app.dir, rel)).then(
      () => true,
      () => false,
    );

  beforeAll(async () => {
    app = await copyExamples();
    studio = await launchWebStudio({ appRoot: app.dir, workers: 1, rendererDir: RENDERER_DIR });
    await studio.service.startServer(0);
    browser = await launchChromium();
    // one context for the whole file: localStorage survives the reload of the last test
    const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(studio.url);
    await treeItem('hello.pt').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await studio?.close();
    await app?.remove();
  });

  it('shows the request log beside the editor and the preview, not instead of them', async () => {
    await openFile(page, 'session_example.pt');
    const status = (await studio.service.serverStatus()).url!;
    await fetch(new URL('session_example.pt?name=Ann', status));
    await page.getByRole('tab', { name: 'Requests' }).click();
    await page.locator('.log-rows tr[data-serial]').first().waitFor({ timeout: 30_000 });
    await page.locator('iframe.preview-frame').waitFor({ timeout: 30_000 });
    expect(await page.locator('.editor-host').isVisible()).toBe(true);
    expect(await page.locator('.log-rows').isVisible()).toBe(true);
    await screenshot(page, 'workbench-1440x900');
    await page.setViewportSize({ width: 1024, height: 700 });
    await page.waitForTimeout(300);
    await screenshot(page, 'workbench-1024x700');
    // status and outcome stay in view at 1024 px: the path gives way
    for (const column of ['.c-status', '.c-outcome']) {
      const box = (await page.locator(`.log-rows th${column}`).boundingBox())!;
      expect(box.width).toBeGreaterThan(30);
      expect(box.x + box.width).toBeLessThanOrEqual(1024);
    }
    await page.locator('.log-rows tr[data-outcome="committed"] .badge').waitFor();
    const badge = (await page
      .locator('.log-rows tr[data-outcome="committed"] .badge')
      .boundingBox())!;
    expect(badge.x + badge.width).toBeLessThanOrEqual(1024);
    await page.setViewportSize({ width: 1440, height: 900 });
  });

  it('toggles the sidebar with Ctrl/Cmd+B and the panel with Ctrl/Cmd+J', async () => {
    await page.locator('.editor-host .view-lines').click();
    expect(await width('.explorer')).toBeGreaterThan(100);
    await page.keyboard.press('ControlOrMeta+B');
    await until(async () => (await width('#sidebar')) < 2, 'the sidebar to collapse');
    await page.keyboard.press('ControlOrMeta+B');
    await until(async () => (await width('#sidebar')) > 100, 'the sidebar back');

    expect(await height('#panel')).toBeGreaterThan(80);
    await page.keyboard.press('ControlOrMeta+J');
    await until(async () => (await height('#panel')) < 2, 'the panel to collapse');
    await page.keyboard.press('ControlOrMeta+J');
    await until(async () => (await height('#panel')) > 80, 'the panel back');
  });

  it('resizes the sidebar by dragging its divider', async () => {
    const before = await width('#sidebar');
    const sash = page.locator('.sash').first();
    const box = (await sash.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 200);
    await page.mouse.down();
    await page.mouse.move(box.x + 120, box.y + 200, { steps: 8 });
    await page.mouse.up();
    await until(async () => (await width('#sidebar')) > before + 60, 'a wider sidebar');
  });

  it('moves the panel beside the editor', async () => {
    await page.getByRole('button', { name: 'Move to side' }).click();
    await until(
      async () => (await height('#panel')) > 600 && (await height('#work')) > 600,
      'the panel as a column beside the work area',
    );
    await page.getByRole('tab', { name: 'Requests' }).click();
    expect(await page.locator('.editor-host').isVisible()).toBe(true);
    expect(await page.locator('.log-rows').isVisible()).toBe(true);
    await screenshot(page, 'workbench-panel-side-1440x900');
  });

  it('lists every action with its shortcut in the command palette (F1, Ctrl/Cmd+Shift+P)', async () => {
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('F1');
    const input = page.locator('.palette [cmdk-input]');
    await input.waitFor();
    const item = (id: string) => page.locator(`[cmdk-item][data-command="${id}"]`);
    expect(await item('sidebar').innerText()).toMatch(/Toggle Sidebar\s+(Ctrl|⌘)\+B/);
    expect(await item('panel').innerText()).toMatch(/Toggle Panel\s+(Ctrl|⌘)\+J/);
    expect(await item('save').innerText()).toMatch(/Save\s+(Ctrl|⌘)\+S/);
    expect(await item('explorer.rename').innerText()).toContain('F2');
    await screenshot(page, 'workbench-command-palette');
    await page.keyboard.press('Escape');
    await input.waitFor({ state: 'detached' });

    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('ControlOrMeta+Shift+P');
    await input.fill('move panel');
    await page.keyboard.press('Enter');
    await input.waitFor({ state: 'detached' });
    // back below the editor: a wide, low panel
    await until(
      async () => (await width('#panel')) > (await height('#panel')),
      'the panel at the bottom',
    );
  });

  it('renames with F2, deletes with Delete, and moves with the arrow keys in the Explorer', async () => {
    await treeItem('hello.pt').click();
    await page.keyboard.press('ArrowDown');
    await until(
      async () => (await treeItem('hello.py').getAttribute('aria-selected')) === 'true',
      'the next file selected',
    );
    await page.keyboard.press('F2');
    const to = page.getByRole('dialog', { name: 'Rename hello.py to' }).getByRole('textbox');
    await to.fill('hi.py');
    await to.press('Enter');
    await until(async () => (await exists('hi.py')) && !(await exists('hello.py')), 'the rename');

    await treeItem('hi.py').click();
    await page.keyboard.press('Delete');
    await page
      .getByRole('dialog', { name: 'Delete' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await until(async () => !(await exists('hi.py')), 'the delete');
  });

  it('has a context menu on Explorer items', async () => {
    await treeItem('form.py').click({ button: 'right' });
    const menu = page.getByRole('menu');
    await menu.waitFor();
    await screenshot(page, 'workbench-explorer-menu');
    await menu.getByRole('menuitem', { name: /Rename/ }).click();
    const to = page.getByRole('dialog', { name: 'Rename form.py to' }).getByRole('textbox');
    await to.fill('form2.py');
    await to.press('Enter');
    await until(async () => await exists('form2.py'), 'the rename from the menu');
    await treeItem('form2.py').click({ button: 'right' });
    await page.getByRole('menuitem', { name: /Delete/ }).click();
    await page
      .getByRole('dialog', { name: 'Delete' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await until(async () => !(await exists('form2.py')), 'the delete from the menu');
  });

  it('restores the layout and the open tabs on the next start', async () => {
    await openFile(page, 'hello.pt');
    await openFile(page, 'index.pt');
    await page.locator('.editor-host .view-lines').click();
    await page.keyboard.press('ControlOrMeta+B');
    await until(async () => (await width('#sidebar')) < 2, 'the sidebar to collapse');
    await page.getByRole('tab', { name: /^Console/ }).click();
    await page.waitForTimeout(300);
    await page.reload();
    await page.locator('.editor-host[data-file="index.pt"]').waitFor({ timeout: 30_000 });
    expect(
      await page
        .locator('.editor-tabs [role=tab]')
        .evaluateAll((t) => t.map((e) => e.getAttribute('data-path'))),
    ).toEqual(['session_example.pt', 'hello.pt', 'index.pt']);
    expect(await width('#sidebar')).toBeLessThan(2);
    expect(await page.getByRole('tab', { name: /^Console/ }).getAttribute('aria-selected')).toBe(
      'true',
    );
    expect(pageErrors).toEqual([]);
  });
});
