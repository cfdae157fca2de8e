/**
 * A request's `server.log` lines in its journal entry: from real requests to a real engine (in
 * order, with their level and time into the request, below-LogLevel lines left out, lines of a
 * page that then raised kept), and the per-request caps.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestLogLine } from '../../src/common/types/journal.js';
import { Engine } from '../../src/engine/engine.js';
import { addLogLine, LOG_LINE_CHARS, LOG_LINES_CAP } from '../../src/engine/journal/record.js';

const APP: Record<string, string> = {
  'page.py': [
    'from pse.plugins import server',
    "server.log('first')",
    "server.log('too quiet', server.DEBUG)",
    "server.log('careful', server.WARNING)",
    "if pse.form.get('fail'):",
    "    raise ValueError('after logging')",
    '',
  ].join('\n'),
  'page.pt': 'ok',
  'quiet.pt': 'nothing logged',
};

describe('server.log lines in the journal', () => {
  let dir: string;
  let engine: Engine;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-loglines-'));
    for (const [f, t] of Object.entries(APP)) await writeFile(path.join(dir, f), t);
    engine = await Engine.open(dir, { workers: 1, watch: false, logFiles: false });
  });
  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const lastEntry = async () => (await engine.sessionService!.journal.list({ limit: 1 }))[0]!;

  it('keeps the lines a request wrote, in order, with level and time', async () => {
    await engine.handle({ method: 'GET', url: '/page.pt' });
    const logs = (await lastEntry()).logs!;
    expect(logs.map((l) => [l.level, l.msg])).toEqual([
      ['NOTICE', 'first'],
      ['WARNING', 'careful'],
    ]);
    expect(logs[0]!.at).toBeGreaterThanOrEqual(0);
    expect(logs[1]!.at).toBeGreaterThanOrEqual(logs[0]!.at);
    expect((await lastEntry()).durationMs).toBeGreaterThanOrEqual(logs[1]!.at);
  });

  it('keeps them for a page that raised, and records none for a page that wrote none', async () => {
    await engine.handle({ method: 'GET', url: '/page.pt?fail=1' });
    const failed = await lastEntry();
    expect(failed.cause?.type).toBe('ValueError');
    expect(failed.logs?.map((l) => l.msg)).toEqual(['first', 'careful']);
    await engine.handle({ method: 'GET', url: '/quiet.pt' });
    expect((await lastEntry()).path).toBe('/quiet.pt');
    expect((await lastEntry()).logs).toBeUndefined();
  });

  it('caps the lines per request and the characters per line', () => {
    const lines: RequestLogLine[] = [];
    for (let i = 0; i < LOG_LINES_CAP + 10; i++) addLogLine(lines, i, 'INFO', `line ${i}`);
    expect(lines).toHaveLength(LOG_LINES_CAP + 1);
    expect(lines.at(-1)!.msg).toContain(`the journal keeps ${LOG_LINES_CAP}`);
    const long: RequestLogLine[] = [];
    addLogLine(long, 0, 'INFO', 'x'.repeat(LOG_LINE_CHARS + 50));
    expect(long[0]!.msg).toHaveLength(LOG_LINE_CHARS + 1);
  });
});
