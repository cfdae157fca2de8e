/**
 * The access log's batching (lines encoded into reused Buffers every few lines, written every
 * 200 ms) keeps every line, in order, byte for byte: long lines, UTF-8, many buffers' worth.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogFiles } from '../../src/engine/logs/log-files.js';

let dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  dirs = [];
});

async function logDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pse-logs-'));
  dirs.push(dir);
  return dir;
}

describe('LogFiles', () => {
  it('writes every access line in order, whatever their length and characters', async () => {
    const dir = await logDir();
    const logs = new LogFiles(dir);
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) {
      let line = `127.0.0.1 - "GET /page?i=${i}" 200 ${i % 7}ms`;
      if (i % 997 === 0) line += ' ' + 'x'.repeat(30_000); // longer than a batch
      if (i % 501 === 0) line += ' ünïcødé ✓ 日本 🙂'; // more bytes than characters
      if (i === 2500) line += ' ' + 'é'.repeat(70_000); // more bytes than a whole buffer
      lines.push(line);
      logs.writeAccess(line);
    }
    await logs.close();
    const text = await readFile(path.join(dir, 'access.log'), 'utf8');
    expect(text).toBe(lines.join('\n') + '\n');
  });

  it('flushes on its timer without being closed, and appends to an existing file', async () => {
    const dir = await logDir();
    const first = new LogFiles(dir);
    first.writeAccess('one');
    await first.close();
    const logs = new LogFiles(dir);
    logs.writeAccess('two');
    logs.writeAccess('three');
    const file = path.join(dir, 'access.log');
    await expect
      .poll(() => readFile(file, 'utf8'), { timeout: 5000, interval: 50 })
      .toBe('one\ntwo\nthree\n');
    await logs.close();
  });

  it('writes error lines at once', async () => {
    const dir = await logDir();
    const logs = new LogFiles(dir);
    logs.writeError('boom');
    await logs.close();
    expect(await readFile(path.join(dir, 'error.log'), 'utf8')).toBe('boom\n');
  });
});
