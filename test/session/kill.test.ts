/**
 * Durability: `kill -9` of a `pse serve` process in the middle of a load of session writes.
 * On restart the database opens, and every write whose response arrived is there.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSetCookie } from 'cookie';
import { afterAll, describe, expect, it } from 'vitest';
import { killAll, startPse } from '../helpers/pse-process.js';

afterAll(killAll);

describe('kill -9 during a load of session writes', () => {
  // --production: the session store is held exclusively and served from memory
  for (const extra of [[], ['--production']]) {
    // Two server boots under a loaded 2-core machine: allow more than the default minute.
    it(
      `keeps every acknowledged write (${extra.length ? 'pse serve --production: an exclusive store' : 'pse serve'})`,
      { timeout: 180_000 },
      async () => {
        const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-kill-'));
        fs.writeFileSync(
          path.join(app, 'append.py'),
          `from pse.plugins import session
d = session.new()
if pse.form.has_key('v'):
    d.setdefault('seen', []).append(int(pse.form['v']))
out = len(d.get('seen', []))
`,
        );
        fs.writeFileSync(path.join(app, 'append.pt'), '<?= out ?>');
        fs.writeFileSync(
          path.join(app, 'show.py'),
          `from pse.plugins import session\nout = ','.join(map(str, session.new().get('seen', [])))\n`,
        );
        fs.writeFileSync(path.join(app, 'show.pt'), '<?= out ?>');

        const first = await startPse(app, ['--workers', '2', ...extra]);
        const clients = 6;
        const cookies: string[] = [];
        for (let i = 0; i < clients; i++) {
          const res = await fetch(`${first.url}/append.pt?v=0`);
          const c = parseSetCookie(res.headers.getSetCookie()[0]!);
          cookies.push(`${c.name}=${c.value}`);
        }
        const acked: number[][] = cookies.map(() => [0]);
        let stop = false;
        const loops = cookies.map(async (cookie, i) => {
          for (let v = 1; !stop; v++) {
            try {
              const res = await fetch(`${first.url}/append.pt?v=${v}`, { headers: { cookie } });
              await res.text();
              if (res.status === 200) acked[i]!.push(v);
            } catch {
              return; // the server died: this request has no response
            }
          }
        });
        // Kill once a fair number of writes went through.
        while (acked.reduce((n, a) => n + a.length, 0) < 60)
          await new Promise((r) => setTimeout(r, 20));
        first.child.kill('SIGKILL');
        stop = true;
        await Promise.all(loops);
        if (first.child.exitCode === null && first.child.signalCode === null) {
          await new Promise((r) => first.child.once('exit', r));
        }

        const second = await startPse(app, ['--workers', '2', ...extra]);
        try {
          for (const [i, cookie] of cookies.entries()) {
            const res = await fetch(`${second.url}/show.pt`, { headers: { cookie } });
            const seen = (await res.text()).split(',').map(Number);
            // every acknowledged value is there, in order; at most one unacknowledged write after them
            expect(seen.slice(0, acked[i]!.length)).toEqual(acked[i]);
            expect(seen.length - acked[i]!.length).toBeLessThanOrEqual(1);
          }
        } finally {
          second.child.kill('SIGTERM');
        }
      },
    );
  }
});
