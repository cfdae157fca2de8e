/**
 * An open that finishes late does not take the keyboard from a dialog opened meanwhile: a click
 * on a file then F2 at once, while the file is still loading, must rename the file with the keys
 * typed in the dialog, not type them into the editor. The Studio's socket is routed through the
 * test so that the file's contents arrive only after the dialog is open.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudioPage, type StudioPage } from './browser.js';
import { until } from './helpers.js';

describe('PSE Studio focus after a late open', () => {
  let s: StudioPage;
  let page: Page;
  /** request ids of readFile calls for the held file, and the replies kept back */
  const heldIds = new Set<number>();
  const heldReplies: string[] = [];
  let hold = '';
  let toPage: WebSocketRoute | undefined;

  beforeAll(async () => {
    s = await openStudioPage({
      viewport: { width: 1440, height: 900 },
      beforeLoad: (p) =>
        p.routeWebSocket(/.*/, (ws) => {
          toPage = ws;
          const server = ws.connectToServer();
          ws.onMessage((m) => {
            const msg = JSON.parse(String(m)) as {
              k: string;
              id: number;
              m?: string;
              a?: unknown[];
            };
            if (msg.k === 'req' && msg.m === 'readFile' && msg.a?.[0] === hold) heldIds.add(msg.id);
            server.send(m);
          });
          server.onMessage((m) => {
            const msg = JSON.parse(String(m)) as { k: string; id: number };
            if ((msg.k === 'res' || msg.k === 'err') && heldIds.delete(msg.id))
              heldReplies.push(String(m));
            else ws.send(m);
          });
        }),
    });
    page = s.page;
    await page.locator('.tree-item[data-path="hello.pt"]').waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await s?.close();
  });

  it('keeps the keys in a dialog opened while the clicked file was still loading', async () => {
    const before = await readFile(path.join(s.app.dir, 'hello.py'), 'utf8');
    hold = 'hello.py';
    await page.locator('.tree-item[data-path="hello.py"]').click();
    await until(() => heldReplies.length > 0, 'the contents of hello.py, held back');
    await page.keyboard.press('F2');
    const dialog = page.getByRole('dialog', { name: 'Rename hello.py to' });
    await dialog.waitFor();
    // the contents arrive now: the editor shows the file while the dialog is open
    hold = '';
    for (const m of heldReplies.splice(0)) toPage!.send(m);
    await page.locator('.editor-host[data-file="hello.py"]').waitFor();
    // typed at the keyboard, wherever the focus is: in the dialog, where it was left
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('hi.py');
    await page.keyboard.press('Enter');
    await until(
      async () =>
        (await stat(path.join(s.app.dir, 'hi.py')).then(
          () => true,
          () => false,
        )) && !(await dialog.isVisible()),
      'the rename',
    );
    expect(await readFile(path.join(s.app.dir, 'hi.py'), 'utf8')).toBe(before);
    // and nothing was typed into the file: its tab follows the rename, unchanged
    await page.locator('.editor-host[data-file="hi.py"]').waitFor();
    expect(await page.locator('.editor-tabs .dirty').count()).toBe(0);
    expect(s.pageErrors).toEqual([]);
  });
});
