/**
 * The first stage of opening an engine (src/engine/boot.ts), with real workers: the pool's log
 * lines from before anyone listened reach the engine's log, a shared store's lock helper starts
 * beside the workers and serves the engine, and a start that fails after the workers were
 * started leaves none of them (nor the helper) running.
 */
import { mkdirSync, readdirSync, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

/** The pids of the lock helpers running on `lockFile` (their command line names it). */
function helpersOf(lockFile: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let cmd: string[];
    try {
      cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    if (cmd.some((a) => a.endsWith('pse_locks.py')) && cmd.includes(lockFile)) pids.push(+name);
  }
  return pids;
}

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

  it("starts a shared store's lock helper with the workers, and the engine uses that one", async () => {
    const root = app({ 'hello.pt': 'hi' });
    const lockFile = path.join(root, '.pse', 'sessions.sqlite.locks');
    const boot = await bootWorkers(root, { workers: 1 });
    // running before the rest of the engine has loaded or opened anything
    expect(boot.locks).not.toBeNull();
    const [helper] = helpersOf(lockFile);
    expect(helper).toBeDefined();
    const lines: LogLine[] = [];
    const engine = await Engine.openBooted(boot, {
      watch: false,
      logFiles: false,
      log: (l) => lines.push(l),
    });
    try {
      expect(helpersOf(lockFile)).toEqual([helper]);
      // the helper's reports reach the engine's log, which did not exist when it started
      process.kill(helper!, 'SIGKILL');
      await expect
        .poll(() => lines.map((l) => l.text).join('\n'))
        .toMatch(
          /session locks: the lock helper for .*sessions\.sqlite\.locks stopped \(killed by SIGKILL\)/,
        );
    } finally {
      await engine.close();
    }
    expect(helpersOf(lockFile)).toEqual([]);
  });

  it('starts no lock helper for a store kept to this process; `sessionFile` names the locked file', async () => {
    const root = app({ 'hello.pt': 'hi' });
    const kept = await bootWorkers(root, { workers: 1, exclusiveSessions: true });
    expect(kept.locks).toBeNull();
    await kept.workers.abandon();
    const file = path.join(root, 'other.sqlite');
    const other = await bootWorkers(root, { workers: 1, sessionFile: file });
    try {
      expect(helpersOf(`${file}.locks`)).toHaveLength(1);
      expect(helpersOf(path.join(root, '.pse', 'sessions.sqlite.locks'))).toEqual([]);
    } finally {
      await other.workers.abandon();
      await other.locks?.close();
    }
    expect(helpersOf(`${file}.locks`)).toEqual([]);
  });

  it('a SQLite store that cannot be opened stops the workers and the lock helper', async () => {
    const root = app({ 'hello.pt': 'hi' });
    // a folder where the store's file belongs
    mkdirSync(path.join(root, '.pse', 'sessions.sqlite'), { recursive: true });
    const boot = await bootWorkers(root, { workers: 1 });
    const pids = boot.workers.pool.stats().workers.map((w) => w.pid);
    const lockFile = path.join(root, '.pse', 'sessions.sqlite.locks');
    expect(helpersOf(lockFile)).toHaveLength(1);
    await expect(Engine.openBooted(boot, { watch: false, logFiles: false })).rejects.toThrow(
      /sessions\.sqlite/,
    );
    for (const pid of pids) expect(alive(pid)).toBe(false);
    expect(helpersOf(lockFile)).toEqual([]);
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
