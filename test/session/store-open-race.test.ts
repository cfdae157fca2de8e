/**
 * Several processes opening one new session store at the same moment (the instances of
 * `pse serve --instances N` at their first start): each one opens it, none fails on the schema
 * another is creating.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-open-race-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function opener(file: string, at: number): Promise<string> {
  const script = `
    import { SqliteSessionStore } from ${JSON.stringify(path.join(ROOT, 'src/engine/session/sqlite-store.ts'))};
    while (Date.now() < ${at}) {}
    try {
      const s = new SqliteSessionStore({ file: ${JSON.stringify(file)} });
      await s.close();
      console.log('opened');
    } catch (err) {
      console.log(err.message);
    }
  `;
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', () => resolve(out.trim()));
  });
}

it('opens a new store from several processes at once', { timeout: 120_000 }, async () => {
  for (let round = 0; round < 2; round++) {
    const file = path.join(dir, `r${round}`, 'sessions.sqlite');
    // The processes start at once: they all wait for the same moment, then open.
    const at = Date.now() + 4000;
    const results = await Promise.all(Array.from({ length: 6 }, () => opener(file, at)));
    expect(results).toEqual(Array.from({ length: 6 }, () => 'opened'));
  }
});
