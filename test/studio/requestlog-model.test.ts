/** The request log's pure parts: "copy as curl" (run through a real shell) and the live filters. */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../src/common/types/journal.js';
import { curlCommand, shellQuote } from '../../src/renderer/workbench/requestlog/curl.js';
import { matches, NO_FILTERS } from '../../src/renderer/workbench/requestlog/filters.js';

const entry: JournalEntry = {
  serial: 7,
  time: 0,
  method: 'POST',
  path: '/form.pt',
  query: 'a=1&b=it%27s',
  status: 500,
  durationMs: 3,
  worker: 1,
  sessionId: 'S1',
  lockWaitMs: 0,
  outcome: 'rolled_back',
  changes: [],
  saves: [],
  restorable: [],
  request: {
    headers: [
      ['host', 'x'],
      ['content-length', '9'],
      ['content-type', 'application/x-www-form-urlencoded'],
      ['cookie', "PSESESSION=abc; other='q'"],
    ],
    cookies: { PSESESSION: 'abc' },
    form: [['name', "O'Neil"]],
    body: "name=O'Neil",
  },
};

/** How a POSIX shell splits the command into words (printf prints one per line). */
function shellWords(cmd: string): string[] {
  return execFileSync('sh', ['-c', cmd.replace(/^curl /, "printf '%s\\n' ")], { encoding: 'utf8' })
    .trimEnd()
    .split('\n');
}

describe('copy as curl', () => {
  it('is a command the shell splits into exactly the request', () => {
    const cmd = curlCommand(entry, 'http://127.0.0.1:8123/');
    expect(shellWords(cmd)).toEqual([
      'http://127.0.0.1:8123/form.pt?a=1&b=it%27s',
      '-H',
      'content-type: application/x-www-form-urlencoded',
      '-H',
      "cookie: PSESESSION=abc; other='q'",
      '--data-raw',
      "name=O'Neil",
    ]);
    expect(
      curlCommand(
        { ...entry, method: 'DELETE', request: { ...entry.request!, body: undefined } },
        'http://h',
      )
        .split(' ')
        .slice(0, 3),
    ).toEqual(['curl', '-X', 'DELETE']);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});

describe('live filters', () => {
  it('apply path, status class, outcome and session like the service does', () => {
    expect(matches(NO_FILTERS, entry)).toBe(true);
    expect(matches({ ...NO_FILTERS, status: '5xx' }, entry)).toBe(true);
    expect(matches({ ...NO_FILTERS, status: '4xx' }, entry)).toBe(false);
    expect(matches({ ...NO_FILTERS, path: 'form' }, entry)).toBe(true);
    expect(matches({ ...NO_FILTERS, path: 'cart' }, entry)).toBe(false);
    expect(matches({ ...NO_FILTERS, outcome: 'committed' }, entry)).toBe(false);
    expect(matches({ ...NO_FILTERS, sessionId: 'S2' }, entry)).toBe(false);
  });
});
