/**
 * Inspector benchmark, on a real engine with one worker: the latency of what a click in
 * the inspector costs — staging an edit (a literal checked in Python), applying it (lock, commit,
 * journal), rebuilding a past state from the journal, and a dry-run replay against the state
 * before a request — after the session has a history of HISTORY requests.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { Engine } from '../src/engine/engine.js';
import { InspectorService } from '../src/main/service/inspector-service.js';

const EXAMPLES = path.resolve(import.meta.dirname, '../examples');
const HISTORY = 500;
const ROUNDS = 40;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function timed(n: number, fn: (i: number) => Promise<unknown>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    ms.push(performance.now() - t);
  }
  return `p50 ${pct(ms, 50).toFixed(1)} ms, p95 ${pct(ms, 95).toFixed(1)} ms`;
}

export async function run(): Promise<string[]> {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-bench-inspector-'));
  for (const f of ['session_example.pt', 'session_example.py'])
    fs.copyFileSync(path.join(EXAMPLES, f), path.join(app, f));
  const engine = await Engine.open(app, { workers: 1, watch: false, logFiles: false });
  try {
    const svc = new InspectorService(engine);
    const first = await engine.handle({ method: 'GET', url: '/session_example.pt?name=n0' });
    const sc = first.headers.find(([k]) => k.toLowerCase() === 'set-cookie')![1];
    const c = parseSetCookie(sc);
    const id = c.value;
    if (!id) throw new Error('the session example set no session cookie');
    const cookie = `${c.name}=${id}`;
    for (let i = 1; i < HISTORY; i++)
      await engine.handle({
        method: 'GET',
        url: `/session_example.pt?name=n${i}`,
        headers: { cookie },
      });
    const ticks = await svc.sessionTimeline(id);
    const mid = ticks[Math.floor(ticks.length / 2)]!.serial;
    const ns = async () => (await svc.inspectorSession(id)).namespaceViews[0]!.version;
    return [
      `session history: ${ticks.length} journal entries`,
      `stageEdit (literal checked in Python): ${await timed(ROUNDS, async (i) => svc.stageEdit(id, { namespace: '', baseVersion: await ns(), ops: [{ op: 'set', key: "'k'", value: `[${i}, {'a': 1}]` }] }))}`,
      `applyEdits (lock, commit, journal):    ${await timed(ROUNDS, async (i) => svc.applyEdits(id, [{ namespace: '', baseVersion: await ns(), ops: [{ op: 'set', key: "'k'", value: String(i) }] }]))}`,
      `sessionTimeline (${ticks.length} entries):       ${await timed(ROUNDS, () => svc.sessionTimeline(id))}`,
      `sessionStateAt (middle tick):          ${await timed(ROUNDS, () => svc.sessionStateAt(id, mid))}`,
      `replay 'before' (dry run, scratch):    ${await timed(ROUNDS, () => svc.replayRequest(mid, 'before'))}`,
    ];
  } finally {
    await engine.close();
    fs.rmSync(app, { recursive: true, force: true });
  }
}
