/**
 * The session inspector, request log and time travel in a real browser, against a real
 * `pse studio --web` on a copy of examples/ whose embedded server gets real HTTP requests.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStudioPage, screenshot, type StudioPage } from './browser.js';
import { until, visitor } from './helpers.js';

/** Servlets that fail after changing the session: plain, and after a save() (lines 3 and 5). */
const EXTRA: Record<string, string> = {
  'fail.pt': 'never shown',
  'fail.py':
    "from pse.plugins import session\ndata = session.new()\ndata['doomed'] = True\nraise ValueError('no stock')\n",
  'partial.pt': 'never shown',
  'partial.py':
    "from pse.plugins import session\ndata = session.new()\ndata['paid'] = True\nsession.save()\nraise RuntimeError('courier down')\n",
};

describe('PSE Studio inspector in the browser', () => {
  let ui: StudioPage | undefined;
  let page: Page;
  let server: string;
  let pageErrors: string[] = [];
  const visit = visitor(() => server);
  const get = visit.get;
  const sessionId = visit.sessionId;
  const tab = (name: string) => page.getByRole('tab', { name: new RegExp(`^${name}`) });
  const row = (pathText: string) =>
    page.locator('.log-rows tr[data-serial]', { hasText: pathText }).first();

  beforeAll(async () => {
    ui = await openStudioPage({ files: EXTRA });
    ({ page, server, pageErrors } = ui);
    // the inspector's views are tabs of the workbench panel, beside the editor
    await page.getByRole('tab', { name: 'Requests' }).click();
  });

  afterAll(() => ui?.close());

  it('shows requests to the embedded server live, with their session diff', async () => {
    await tab('Requests').click();
    expect(await get('session_example.pt?name=Ann')).toContain('Hello, Ann!');
    const r = row('/session_example.pt');
    await r.waitFor();
    expect(await r.getAttribute('data-outcome')).toBe('committed');
    await r.click();
    const diff = page.locator('.log-detail [aria-label="change "]');
    await diff.waitFor();
    expect(await diff.getAttribute('data-before')).toBe('');
    expect(await diff.getAttribute('data-after')).toBe("name: 'Ann'\n");
    await page.locator('.log-detail .monaco-diff-editor').first().waitFor();
    await screenshot(page, 'inspector-requestlog');
  });

  it('shows a rollback struck through with its cause, and opens the raising line in the editor', async () => {
    await get('fail.pt');
    const r = row('/fail.pt');
    await r.waitFor();
    expect(await r.getAttribute('data-outcome')).toBe('rolled_back');
    await r.click();
    const discarded = page.locator('.ns-change.discarded');
    await discarded.waitFor();
    expect(await discarded.locator('.diff-added').innerText()).toContain('doomed');
    const cause = page.locator('.cause');
    expect(await cause.innerText()).toContain('ValueError: no stock');
    await screenshot(page, 'inspector-rollback');
    await cause.getByRole('button', { name: /fail\.py:4/ }).click();
    await page.locator('.editor-host[data-file="fail.py"]').waitFor();
    await until(
      async () => (await page.locator('.editor-host .current-line').count()) > 0,
      'the cursor on the line',
    );
  });

  it('shows save() then raise as partially committed, with its save point', async () => {
    await tab('Requests').click();
    await get('partial.pt');
    const r = row('/partial.pt');
    await r.waitFor();
    expect(await r.getAttribute('data-outcome')).toBe('partially_committed');
    await r.click();
    expect(await page.locator('.saves').innerText()).toContain('+paid');
    expect(await page.locator('.cause').innerText()).toContain('partial.py:5');
    await screenshot(page, 'inspector-partial');
  });

  it('lets an edit made in the inspector be seen by the next request; refuses a bad literal', async () => {
    await tab('Sessions').click();
    await page.locator(`.session-list tr[data-id="${sessionId()}"]`).click();
    await page.locator('.session-detail [data-namespace=""]').waitFor();
    // edited in place, in the tree: Enter stages, a refused literal keeps the editor open
    await page.locator('button[aria-label="Edit name"]').click();
    const value = page.getByLabel('New value of name');
    expect(await value.inputValue()).toBe("'Ann'");
    await value.fill("'Bob");
    await value.press('Enter');
    await until(
      async () => (await page.locator('.edit-problem').innerText()).includes('line 1'),
      'the literal error',
    );
    expect(await page.locator('.pending-changes').count()).toBe(0);
    await value.fill("'Bob'");
    await value.press('Enter');
    await value.waitFor({ state: 'detached' });
    await page.locator('.pending-changes .diff-changed', { hasText: 'name' }).waitFor();
    await screenshot(page, 'inspector-pending');
    await page.getByRole('button', { name: 'Apply' }).click();
    await until(
      async () => (await page.locator('.pending-changes').count()) === 0,
      'the pending list to empty',
    );
    expect(await get('session_example.pt')).toContain('Hello, Bob!');
  });

  it('refuses an edit the server overtook, showing base, server and yours', async () => {
    await page.locator('button[aria-label="Edit name"]').click();
    // Escape cancels an edit in place
    await page.getByLabel('New value of name').fill("'Nobody'");
    await page.getByLabel('New value of name').press('Escape');
    await page.getByLabel('New value of name').waitFor({ state: 'detached' });
    expect(await page.locator('.pending-changes').count()).toBe(0);
    await page.locator('button[aria-label="Edit name"]').click();
    await page.getByLabel('New value of name').fill("'Carl'");
    await page.getByLabel('New value of name').press('Enter');
    await page.locator('.pending-changes').waitFor();
    expect(await get('session_example.pt?name=Dan')).toContain('Hello, Dan!');
    await page.getByRole('button', { name: 'Apply' }).click();
    const conflict = page.locator('.conflicts');
    await conflict.waitFor();
    expect(await conflict.locator('.conflict-base').innerText()).toContain("'Bob'");
    expect(await conflict.locator('.conflict-server').innerText()).toContain("'Dan'");
    expect(await conflict.locator('.conflict-yours').innerText()).toContain("'Carl'");
    await screenshot(page, 'inspector-conflict');
    expect(await get('session_example.pt')).toContain('Hello, Dan!');
    await page.getByRole('button', { name: 'Discard all' }).click();
  });

  it('restores an earlier state from the timeline', async () => {
    await tab('Timeline').click();
    const ticks = page.locator('.tick');
    await until(async () => (await ticks.count()) >= 5, 'the ticks of the session');
    // the first tick is the request that stored name='Ann'
    await ticks.first().click();
    await page.locator('[aria-label="State after tick"]').waitFor();
    expect(await page.locator('[aria-label="State after tick"]').innerText()).toContain("'Ann'");
    await ticks.nth(3).click({ modifiers: ['Shift'] });
    await page.locator('[aria-label="Diff between ticks"] .diff-view').first().waitFor();
    await screenshot(page, 'inspector-timeline-diff');
    await ticks.first().click();
    await page.getByRole('button', { name: 'Restore this state' }).click();
    await page.locator('.pending-changes').waitFor();
    await screenshot(page, 'inspector-timeline-restore');
    await page.getByRole('button', { name: 'Apply' }).click();
    await until(
      async () => (await page.locator('.pending-changes').count()) === 0,
      'the restore to apply',
    );
    expect(await get('session_example.pt')).toContain('Hello, Ann!');
  });

  it('previews pages as the chosen session', async () => {
    await tab('Sessions').click();
    await page.locator(`.session-list tr[data-id="${sessionId()}"]`).click();
    await page.getByRole('button', { name: 'Preview as this session' }).click();
    await page.locator('.tree-item[data-path="session_example.pt"]').click();
    expect(await page.getByLabel('Session', { exact: true }).inputValue()).toBe(sessionId());
    const preview = page.frameLocator('iframe.preview-frame');
    await until(
      async () =>
        (await preview.locator('body').innerText({ timeout: 5000 })).includes('Hello, Ann!'),
      'the preview in the session',
    );
    await screenshot(page, 'inspector-preview-as-session');
  });

  it('replays a request against the state before it and reproduces its outcome', async () => {
    await tab('Requests').click();
    await row('/fail.pt').click();
    // The store's sessions, watched while the replay runs: the past state is built in memory.
    const ids = async () => (await ui!.studio.service.listSessions()).map((s) => s.id).sort();
    const known = await ids();
    const seen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const id of await ids()) seen.add(id);
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    await page.getByRole('button', { name: 'Replay on the state before (dry run)' }).click();
    const result = page.locator('.replay');
    await result.waitFor();
    watching = false;
    await watcher;
    expect([...seen].filter((id) => !known.includes(id))).toEqual([]);
    expect(await ids()).toEqual(known);
    expect(await result.innerText()).toContain('same outcome as the original');
    expect(await result.locator('.replay-outcome').innerText()).toBe('rolled back');
    await screenshot(page, 'inspector-replay');
    // nothing of the dry run stayed
    expect(await get('session_example.pt')).toContain('Hello, Ann!');
    expect(pageErrors).toEqual([]);
  });
});
