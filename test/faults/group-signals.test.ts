/**
 * A signal to the server's whole process group: Ctrl+C in a terminal (SIGINT to the foreground
 * group), a service manager's stop (systemd signals every process of the unit) or
 * `kill -- -PGID`. The workers and the session locks' helper receive it as well as Node; the
 * server must still stop as it does on a signal to Node alone: the running request answered,
 * its session change committed, nothing reported as a crash.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startPse, type PseProcess } from '../helpers/pse-process.js';

afterAll(killAll);

/** An app whose `slow` page marks that it runs, waits, then counts in the session. */
function slowApp(): { app: string; running: string } {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-group-signal-'));
  const running = path.join(app, 'running');
  fs.writeFileSync(
    path.join(app, 'slow.py'),
    `import time
from pse.plugins import session
d = session.new()
open(${JSON.stringify(running)}, 'w').close()
time.sleep(1.5)
d['n'] = d.get('n', 0) + 1
n = d['n']
`,
  );
  fs.writeFileSync(path.join(app, 'slow.pt'), 'n=<?= n ?>');
  fs.writeFileSync(
    path.join(app, 'count.py'),
    'from pse.plugins import session\nn = session.new().get("n", 0)\n',
  );
  fs.writeFileSync(path.join(app, 'count.pt'), 'n=<?= n ?>');
  return { app, running };
}

/** Everything the process wrote, both streams. */
function output(p: PseProcess): () => string {
  let out = '';
  p.child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return () => out + p.stderr();
}

describe('a signal to the whole process group', () => {
  const cases: { mode: string; args: string[]; signal: NodeJS.Signals }[] = [
    { mode: 'development server, Ctrl+C', args: [], signal: 'SIGINT' },
    { mode: '--production, a service stop', args: ['--production'], signal: 'SIGTERM' },
    {
      mode: 'two instances, a service stop',
      args: ['--production', '--instances', '2'],
      signal: 'SIGTERM',
    },
  ];
  for (const c of cases) {
    it(
      `${c.mode} (${c.signal}): the running request is answered and committed, no crash is reported`,
      { timeout: 120_000 },
      async () => {
        const { app, running } = slowApp();
        const first = await startPse(app, ['--workers', '2', ...c.args], { ownGroup: true });
        const said = output(first);
        const exited = new Promise<number | null>((r) => first.child.once('exit', r));
        expect(await (await fetch(`${first.url}/count`)).text()).toBe('n=0');
        const pending = fetch(`${first.url}/slow`);
        await expect.poll(() => fs.existsSync(running), { timeout: 30_000 }).toBe(true);
        process.kill(-first.child.pid!, c.signal);
        const res = await pending;
        expect(res.status).toBe(200);
        expect(await res.text()).toBe('n=1');
        const cookie = parseSetCookie(res.headers.getSetCookie()[0]!);
        expect(await exited).toBe(0);
        const log = said();
        expect(log).toContain(`PSE stopping (${c.signal})`);
        expect(log).not.toMatch(/died of|killed by|lock helper|Traceback|ERROR/);

        // the session change of the request that ran through the stop is in the store
        const second = await startPse(app, ['--workers', '1', '--production']);
        try {
          const again = await fetch(`${second.url}/count`, {
            headers: { cookie: `${cookie.name}=${cookie.value}` },
          });
          expect(await again.text()).toBe('n=1');
        } finally {
          await second.stop();
        }
      },
    );
  }
});
