/**
 * The journal's failures grouped by exception type and raising line, from real requests to a
 * real engine: counts, first and last seen, the requests newest first, the latest message, and
 * app-relative lines through Studio's service.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { groupExceptions } from '../../src/engine/journal/exceptions.js';
import { ExceptionsService } from '../../src/main/service/exceptions-service.js';

const APP: Record<string, string> = {
  'shop.py': [
    'n = int(pse.form.get("n", "0"))',
    'if pse.form.get("kind") == "value":',
    '    raise ValueError("bad n %d" % n)',
    'if pse.form.get("kind") == "type":',
    '    raise TypeError("no")',
    '',
  ].join('\n'),
  'shop.pt': 'ok <?= n ?>\n<? if pse.form.get("kind") == "tpl": ?><?= 1 // 0 ?><? :if ?>\n',
};

describe('exceptions grouped by type and raising line', () => {
  let dir: string;
  let engine: Engine;
  const get = (q: string) => engine.handle({ method: 'GET', url: `/shop.pt?${q}` });

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-exc-'));
    for (const [f, t] of Object.entries(APP)) await writeFile(path.join(dir, f), t);
    engine = await Engine.open(dir, { workers: 1, watch: false, logFiles: false });
    await get('kind=value&n=1');
    await get('kind=type');
    await get('n=5');
    await get('kind=value&n=2');
    await get('kind=tpl');
    await get('kind=value&n=3');
  });
  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts each group, with first/last seen, its requests and the latest message', async () => {
    const groups = await new ExceptionsService(engine).exceptionGroups();
    expect(groups.map((g) => [g.type, g.file, g.line, g.count])).toEqual([
      ['ValueError', 'shop.py', 3, 3],
      ['ZeroDivisionError', 'shop.pt', 2, 1],
      ['TypeError', 'shop.py', 5, 1],
    ]);
    const value = groups[0]!;
    expect(value.message).toBe('bad n 3');
    expect(value.serials).toHaveLength(3);
    expect(value.latest).toBe(value.serials[0]);
    expect([...value.serials].sort((a, b) => b - a)).toEqual(value.serials);
    expect(value.firstSeen).toBeLessThanOrEqual(value.lastSeen);
    const entry = (await engine.sessionService!.journal.get(value.latest))!;
    expect(entry.query).toBe('kind=value&n=3');
  });

  it('groups crashes and timeouts by kind, and ignores requests that did not fail', () => {
    const base = { method: 'GET', path: '/', query: '', status: 500, durationMs: 1, worker: 1 };
    const entry = (serial: number, time: number, cause?: object) =>
      ({
        ...base,
        serial,
        time,
        sessionId: null,
        lockWaitMs: 0,
        outcome: cause ? 'rolled_back' : 'read_only',
        changes: [],
        saves: [],
        restorable: [],
        ...(cause ? { cause } : {}),
      }) as Parameters<typeof groupExceptions>[0] extends Iterable<infer E> ? E : never;
    const groups = groupExceptions([
      entry(4, 40, { kind: 'timeout', message: 'took too long' }),
      entry(3, 30),
      entry(2, 20, { kind: 'crash', message: 'worker 1 died' }),
      entry(1, 10, { kind: 'timeout', message: 'took long' }),
    ]);
    expect(groups).toEqual([
      expect.objectContaining({
        type: 'timeout',
        count: 2,
        firstSeen: 10,
        lastSeen: 40,
        latest: 4,
        serials: [4, 1],
        message: 'took too long',
      }),
      expect.objectContaining({ type: 'crash', count: 1, serials: [2] }),
    ]);
  });
});
