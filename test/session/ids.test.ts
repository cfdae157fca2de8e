/**
 * Session ids made by Node (sessions created from Studio): the shape every cookie is checked
 * against, in creation order, random after the time, and the same scheme as the worker's
 * (`pse/_session_ids.py`), checked against the real interpreter.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isWellFormedSessionId, newSessionId, timePrefix } from '../../src/engine/session/ids.js';
import { resolvePython } from '../../src/engine/runtime/python.js';

const T = 1_764_000_000_000;

describe('session ids', () => {
  it('have the shape a cookie must have', () => {
    for (let i = 0; i < 200; i++) expect(isWellFormedSessionId(newSessionId())).toBe(true);
  });

  it('sort by creation time, byte by byte as the stores compare them', () => {
    const times = [0, 1, 63, 64, 65, 4095, 4096, T - 1, T, T + 1, 2 ** 48 - 1];
    const prefixes = times.map(timePrefix);
    expect([...prefixes].sort()).toEqual(prefixes);
    expect(new Set(prefixes).size).toBe(times.length);
    expect(timePrefix(0)).toBe('--------');
    expect(timePrefix(2 ** 48 - 1)).toBe('zzzzzzzz');
    const early = Array.from({ length: 50 }, () => newSessionId(T));
    const late = Array.from({ length: 50 }, () => newSessionId(T + 1));
    expect([...early].sort().at(-1)! < [...late].sort()[0]!).toBe(true);
  });

  it('are random after the time', () => {
    const ids = Array.from({ length: 1000 }, () => newSessionId(T));
    expect(new Set(ids.map((id) => id.slice(0, 8))).size).toBe(1);
    expect(new Set(ids).size).toBe(1000);
    // 64 values over 1000 draws: a fixed or biased position would miss many of them
    for (let pos = 8; pos < 43; pos++)
      expect(new Set(ids.map((id) => id[pos])).size).toBeGreaterThan(50);
  });

  it('begin with the same time characters as the worker makes', async () => {
    const python = (await resolvePython()).executable;
    const times = [0, 64, T, T + 12_345, 2 ** 48 - 1];
    const out = execFileSync(
      python,
      [
        '-c',
        `import sys; from pse._session_ids import time_prefix; print(' '.join(time_prefix(int(t)) for t in sys.argv[1:]))`,
        ...times.map(String),
      ],
      { cwd: fileURLToPath(new URL('../../src/engine/python', import.meta.url)), encoding: 'utf8' },
    );
    expect(out.trim().split(' ')).toEqual(times.map(timePrefix));
  });
});
