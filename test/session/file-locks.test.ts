/**
 * Session locks across processes on one machine (file record locks through the Python helper):
 * each FileSessionLocks runs its own helper process, so two of them exclude each other the way
 * two `pse serve` processes do. A process killed with SIGKILL leaves nothing locked.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileSessionLocks } from '../../src/engine/session/file-locks.js';
import { LockTimeoutError } from '../../src/engine/session/locks.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-flocks-'));
const opened: FileSessionLocks[] = [];

afterAll(async () => {
  await Promise.all(opened.map((l) => l.close()));
  fs.rmSync(dir, { recursive: true, force: true });
});

async function locks(file = path.join(dir, 'a.locks')): Promise<FileSessionLocks> {
  const l = new FileSessionLocks({ file, python: 'python3' });
  opened.push(l);
  await l.ready;
  return l;
}

describe('FileSessionLocks', () => {
  it('lets one process at a time hold a session; others wait for it or time out', async () => {
    const a = await locks();
    const b = await locks();
    const releaseA = await a.acquire('s1', 1000);
    // Another session is free meanwhile.
    (await b.acquire('s2', 1000))();
    await expect(b.acquire('s1', 150)).rejects.toBeInstanceOf(LockTimeoutError);
    let got = false;
    const waiting = b.acquire('s1', 20_000).then((r) => {
      got = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(got).toBe(false);
    releaseA();
    const releaseB = await waiting;
    await expect(a.acquire('s1', 150)).rejects.toBeInstanceOf(LockTimeoutError);
    releaseB();
    (await a.acquire('s1', 20_000))();
  });

  it('takes turns between processes that both queue for one session', async () => {
    const file = path.join(dir, 'turns.locks');
    const procs = [await locks(file), await locks(file), await locks(file)];
    let holder = -1;
    let overlaps = 0;
    const order: number[] = [];
    await Promise.all(
      procs.map(async (l, i) => {
        for (let k = 0; k < 30; k++) {
          const release = await l.acquire('hot', 30_000);
          if (holder !== -1) overlaps++;
          holder = i;
          order.push(i);
          await new Promise((r) => setTimeout(r, 1));
          holder = -1;
          release();
        }
      }),
    );
    expect(overlaps).toBe(0);
    expect(order).toHaveLength(90);
    // No process drains its whole queue while the others wait: the turns interleave.
    for (const i of [0, 1, 2]) expect(order.slice(0, 45)).toContain(i);
  });

  it('keeps a lock for the next request here, and lets it go once another process waits', async () => {
    const file = path.join(dir, 'lease.locks');
    const a = await locks(file);
    const b = await locks(file);
    (await a.acquire('kept', 1000))();
    expect(a.holds('kept')).toBe(true);
    expect(a.continues('kept')).toBe(false);
    // taken again here at once: the lease, which nobody else held in between
    (await a.acquire('kept', 1000))();
    expect(a.holds('kept')).toBe(true);
    expect(a.continues('kept')).toBe(true);
    // another process asks: the idle lease ends, and that process gets the session
    const releaseB = await b.acquire('kept', 5000);
    expect(a.holds('kept')).toBe(false);
    releaseB();
    // back here after another process held it: not a continuation
    const releaseA2 = await a.acquire('kept', 5000);
    expect(a.continues('kept')).toBe(false);
    releaseA2();

    // a lease in use is not taken away: the waiter times out, and the lock goes at its end
    const releaseA = await a.acquire('busy', 1000);
    await expect(b.acquire('busy', 300)).rejects.toBeInstanceOf(LockTimeoutError);
    expect(a.holds('busy')).toBe(true);
    releaseA();
    expect(a.holds('busy')).toBe(false);
    (await b.acquire('busy', 1000))();
  });

  it('lets go of a kept lock that no request here asked for within a second', async () => {
    const a = await locks(path.join(dir, 'idle.locks'));
    (await a.acquire('idle', 1000))();
    expect(a.holds('idle')).toBe(true);
    const t0 = performance.now();
    while (a.holds('idle') && performance.now() - t0 < 5000)
      await new Promise((r) => setTimeout(r, 20));
    expect(a.holds('idle')).toBe(false);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('frees what a process held when it is killed with SIGKILL', async () => {
    const file = path.join(dir, 'kill.locks');
    const script = `
      import { FileSessionLocks } from ${JSON.stringify(path.join(ROOT, 'src/engine/session/file-locks.ts'))};
      const l = new FileSessionLocks({ file: ${JSON.stringify(file)}, python: 'python3' });
      await l.ready;
      await l.acquire('victim', 1000);
      console.log('held');
      setInterval(() => undefined, 1000);
    `;
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
      child.once('exit', (code) => reject(new Error(`the holder exited early (${code})`)));
    });
    const other = await locks(file);
    await expect(other.acquire('victim', 200)).rejects.toBeInstanceOf(LockTimeoutError);
    child.kill('SIGKILL');
    const t0 = performance.now();
    const release = await other.acquire('victim', 20_000);
    expect(performance.now() - t0).toBeLessThan(20_000);
    release();
  });

  it('says which file it cannot open', async () => {
    // a folder that cannot be made: a plain file stands where it would be
    fs.writeFileSync(path.join(dir, 'plain'), '');
    const l = new FileSessionLocks({
      file: path.join(dir, 'plain', 'such', 'x.locks'),
      python: 'python3',
    });
    await expect(l.ready).rejects.toThrow(
      /cannot open the session lock file .*plain[/\\]such[/\\]x\.locks/,
    );
    await l.close();
  });

  it('makes the lock file’s folder, private, before its helper opens the file', async () => {
    // The helper starts before the session store (which makes `.pse/` too) opens: it must not
    // depend on the store having won that race.
    const folder = path.join(dir, 'fresh-app', '.pse');
    const l = await locks(path.join(folder, 'sessions.sqlite.locks'));
    expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
    (await l.acquire('s1', 1000))();
  });
});
