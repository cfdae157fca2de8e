/**
 * The first stage of opening an engine (src/engine/boot.ts), with real workers: the pool's log
 * lines from before anyone listened reach the engine's log, and a start that fails after the
 * workers were started leaves none of them running.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootWorkers, type PoolLogLine } from '../../src/engine/boot.js';
import { Engine, type LogLine } from '../../src/engine/index.js';
import { alive } from '../helpers/pse-process.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function app(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'pse-boot-'));
  dirs.push(root);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(root, name), text);
  return root;
}

describe('bootWorkers', () => {
  it('holds the log lines of the start until someone listens, then hands them over first', async () => {
    const boot = await bootWorkers(app({ 'hello.pt': 'hi' }), { workers: 2 });
    try {
      // the workers were spawned (and said so) before this listener existed
      const heard: PoolLogLine[] = [];
      await boot.workers.ready((...line) => heard.push(line));
      const spawned = heard.filter(([, msg]) => /^worker \d spawned \(pid \d+\)$/.test(msg));
      expect(spawned.map(([level, , worker]) => [level, worker]).sort()).toEqual([
        ['DEBUG', 1],
        ['DEBUG', 2],
      ]);
    } finally {
      await boot.workers.abandon();
    }
  });

  it("an engine's log gets what the workers printed while they booted", async () => {
    const root = app({
      'pse.conf': '[Main]\nTagModules = noisy\n',
      'noisy.py': "import sys\nsys.stderr.write('noisy: imported\\n')\n",
      'hello.pt': 'hi',
    });
    const lines: LogLine[] = [];
    const engine = await Engine.open(root, {
      workers: 1,
      watch: false,
      logFiles: false,
      journal: false,
      log: (l) => lines.push(l),
    });
    await engine.close();
    expect(lines.some((l) => l.text.includes('noisy: imported'))).toBe(true);
  });

  it('a folder that is not there is a clear error', async () => {
    const missing = path.join(tmpdir(), 'pse-boot-no-such-app');
    await expect(bootWorkers(missing)).rejects.toThrow(
      `${missing} is not a folder: an application is a folder of .pt pages`,
    );
  });

  it('a store that cannot be opened stops the workers that were already booting', async () => {
    const root = app({
      'pse.conf':
        '[plugins.session]\nType = postgresql\nDatabase = postgresql://postgres@127.0.0.1:1/test\n',
      'hello.pt': 'hi',
    });
    const boot = await bootWorkers(root, { workers: 2 });
    const pids = boot.workers.pool.stats().workers.map((w) => w.pid);
    expect(pids).toHaveLength(2);
    await expect(Engine.openBooted(boot, { watch: false, logFiles: false })).rejects.toThrow(
      /127\.0\.0\.1:1/,
    );
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
