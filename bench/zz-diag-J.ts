// TEMP diagnostic (engineer J) — deleted before the report.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { launchWebStudio } from '../src/main/web/launch.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const EDITS = Number(process.env.EDITS ?? 40);
const base = await mkdtemp(path.join(os.tmpdir(), 'pse-diag-'));
const app = path.join(base, 'app');
await cp(path.join(REPO, 'examples'), app, { recursive: true, filter: (s) => !s.includes(`${path.sep}.pse`) });
const studio = await launchWebStudio({ appRoot: app, workers: 1, rendererDir: path.join(REPO, 'out/renderer') });
const svc = studio.service as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
const ev: [string, number][] = [];
for (const name of ['preview', 'compileCheck', 'listSessions', 'inspectorSessions', 'requestLog']) {
  const orig = svc[name]!.bind(svc);
  svc[name] = async (...a: unknown[]) => {
    ev.push([name + '>', performance.timeOrigin + performance.now()]);
    try { return await orig(...a); } finally { ev.push([name + '<', performance.timeOrigin + performance.now()]); }
  };
}
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
page.on('request', (r) => { if (r.url().includes('__pse_preview')) ev.push(['iframe-req', Date.now()]); });
page.on('response', (r) => { if (r.url().includes('__pse_preview')) ev.push(['iframe-res', Date.now()]); });
await page.addInitScript(() => {
  const w = window as unknown as { pseT: [string, number][] };
  w.pseT = [];
  const ids = new Set<number>();
  const subs = new Map<number, string>();
  const orig = WebSocket.prototype.send;
  const hooked = new WeakSet<WebSocket>();
  WebSocket.prototype.send = function (this: WebSocket, data: string) {
    if (!hooked.has(this)) {
      hooked.add(this);
      this.addEventListener('message', (e) => {
        const env = JSON.parse(e.data as string) as { k: string; id: number; v?: { outcome?: string } };
        if ((env.k === 'res' || env.k === 'err') && ids.has(env.id)) w.pseT.push(['ws-res', Date.now()]);
        if (env.k === 'evt') w.pseT.push(['evt:' + (subs.get(env.id) ?? env.id), Date.now()]);
      });
    }
    const env = JSON.parse(data) as { k: string; id: number; m?: string; e?: string };
    if (env.k === 'sub') subs.set(env.id, env.e!);
    if (env.m === 'preview') { ids.add(env.id); w.pseT.push(['ws-send', Date.now()]); }
    else if (env.k === 'req') w.pseT.push(['req:' + env.m, Date.now()]);
    return orig.call(this, data);
  };
  new PerformanceObserver((l) => {
    for (const e of l.getEntries()) w.pseT.push(['longtask' + Math.round(e.duration), Math.round(performance.timeOrigin + e.startTime)]);
  }).observe({ type: 'longtask', buffered: false });
  new PerformanceObserver((l) => {
    for (const e of l.getEntries() as PerformanceResourceTiming[]) if (e.initiatorType === 'iframe') { w.pseT.push(['res-start', Math.round(performance.timeOrigin + e.startTime)]); w.pseT.push(['res-end', Math.round(performance.timeOrigin + e.responseEnd)]); }
  }).observe({ type: 'resource', buffered: false });
  new MutationObserver((ms) => {
    for (const m of ms) if (m.type === 'attributes' && (m.target as Element).classList.contains('preview-frame')) w.pseT.push(['src-set', Date.now()]);
  });
  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver((ms) => {
      for (const m of ms) if (m.type === 'attributes' && (m.target as Element).classList?.contains('preview-frame')) w.pseT.push(['src-set', Date.now()]);
    }).observe(document.body, { attributes: true, subtree: true, attributeFilter: ['src', 'srcdoc'] });
  });
});
await page.goto(studio.url);
await page.locator('.tree-item[data-path="hello.pt"]').click();
const iframe = page.locator('iframe.preview-frame');
await iframe.waitFor();
await page.evaluate(() => {
  const w = window as unknown as { pseLoads: number[] };
  w.pseLoads = [];
  new MutationObserver(() => undefined);
  document.addEventListener('load', (e) => { if ((e.target as Element).classList?.contains('preview-frame')) w.pseLoads.push(Date.now()); }, true);
});
await page.locator('.editor-host .view-lines').click();
const rows: Record<string, number>[] = [];
for (let i = 0; i < EDITS + 3; i++) {
  const marker = `edit-${i}-${Date.now()}`;
  await page.keyboard.press('ControlOrMeta+A');
  await new Promise((r) => setTimeout(r, 400));
  ev.length = 0;
  await page.evaluate(() => { (window as unknown as { pseT: unknown[] }).pseT.length = 0; });
  const before = await page.evaluate(() => (window as unknown as { pseLoads: number[] }).pseLoads.length);
  const t0 = Date.now();
  await page.keyboard.insertText(`<p>${marker} <?= greeting ?></p>\n`);
  const tk = Date.now();
  await page.waitForFunction(([n, m]) => {
    const w = window as unknown as { pseLoads: number[] };
    const f = document.querySelector('iframe.preview-frame') as HTMLIFrameElement | null;
    return w.pseLoads.length > (n as number) && (f?.contentDocument?.body?.innerText ?? '').includes(m as string) || w.pseLoads.length > (n as number);
  }, [before, marker], { timeout: 10000, polling: 'raf' });
  const loaded = await page.evaluate(() => (window as unknown as { pseLoads: number[] }).pseLoads.at(-1)!);
  await new Promise((r) => setTimeout(r, 350));
  if (i < 3) continue;
  const row: Record<string, number> = { total: loaded - t0, key: tk - t0 };
  for (const [n, t] of ev) if (row[n] === undefined) row[n] = Math.round(t - t0);
  const pt = await page.evaluate(() => (window as unknown as { pseT: [string, number][] }).pseT);
  let lt = 0;
  for (const [n, t] of pt) { if (n.startsWith('longtask')) { if (t < loaded) lt += Number(n.slice(8)); continue; } if (row['p:' + n] === undefined) row['p:' + n] = Math.round(t - t0); }
  row.longtaskMsBeforeLoad = lt;
  if (process.env.VERBOSE) console.log(JSON.stringify(pt.map(([n, t]) => [n, t - t0])), loaded - t0);
  rows.push(row);
}
const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
const pct = (xs: number[], p: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
for (const k of keys) {
  const xs = rows.map((r) => r[k]).filter((x): x is number => x !== undefined);
  console.log(k.padEnd(16), 'n', xs.length, 'p50', pct([...xs], 50), 'p95', pct([...xs], 95));
}
await browser.close();
await studio.close();
await rm(base, { recursive: true, force: true });
