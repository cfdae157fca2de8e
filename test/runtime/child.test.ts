/**
 * The pipe to a worker: frames written in one turn of the event loop leave together after it,
 * and a frame written with `now` (a request others of its session wait behind) leaves at once.
 */
import { afterEach, expect, it } from 'vitest';
import { spawnChild, type ChildHandle } from '../../src/engine/runtime/child.js';

// A stand-in worker: answers each chunk it reads on fd 3 with the time it read it, on fd 4.
const ECHO = `
  const fs = require('fs');
  const out = fs.createWriteStream(null, { fd: 4 });
  fs.createReadStream(null, { fd: 3 }).on('data', () => out.write(Date.now() + '\\n'));
`;

let child: ChildHandle | null = null;
afterEach(() => {
  child?.end();
  child = null;
});

/** When the stand-in read a frame written while this process was busy for `busyMs`. */
async function readAt(now: boolean, busyMs: number): Promise<{ written: number; read: number }> {
  const c = spawnChild({
    python: process.execPath,
    args: ['-e', ECHO],
    cwd: process.cwd(),
    env: process.env,
  });
  child = c;
  const answer = new Promise<number>((resolve) =>
    c.onData((d) => resolve(Number(d.toString().split('\n')[0]))),
  );
  // the stand-in is up once it answers a first frame
  c.write(Buffer.from('hello'));
  await answer;
  const next = new Promise<number>((resolve) =>
    c.onData((d) => resolve(Number(d.toString().split('\n')[0]))),
  );
  const written = Date.now();
  c.write(Buffer.from('frame'), now);
  // The event loop is held: a batched frame cannot leave before this ends.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, busyMs);
  return { written, read: await next };
}

it('a frame written with `now` leaves at once; others wait for the end of the turn', async () => {
  const urgent = await readAt(true, 600);
  expect(urgent.read - urgent.written).toBeLessThan(450);
  const batched = await readAt(false, 600);
  expect(batched.read - batched.written).toBeGreaterThanOrEqual(600);
});
