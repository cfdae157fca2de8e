/**
 * Raw sockets at the edges of HTTP/1.1: requests pipelined ahead of garbage are answered before
 * the 400, a client that half-closes after its request gets the response, and CONNECT or a
 * method node:http does not know is refused with a status, not a closed socket.
 */
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serveApp, type App } from './helpers.js';

let app: App;

beforeAll(async () => {
  app = await serveApp({
    'pse.conf': '[Main]\nWorkers = 1\n',
    'slow.pt': '<? import time; time.sleep(0.2) ?>slow page',
    'fast.pt': 'fast page',
  });
});
afterAll(() => app?.stop());

/** Sends `data` (then ends its side when `halfClose`), resolves with all it read until close. */
function raw(data: string, halfClose = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(app.port, '127.0.0.1', () => {
      s.write(data);
      if (halfClose) s.end();
    });
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.setTimeout(20_000, () => s.destroy(new Error(`no close within 20 s; read: ${out}`)));
  });
}

const GET = (p: string): string => `GET ${p} HTTP/1.1\r\nHost: localhost\r\n\r\n`;

/** the status codes of the responses in `out`, in order (a body ends without a newline) */
const statuses = (out: string): number[] =>
  [...out.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

it('answers requests pipelined ahead of garbage, then the 400', async () => {
  const out = await raw(
    GET('/slow.pt') + GET('/fast.pt') + 'GET / HTTP/1.1\r\nno header here\r\n\r\n',
  );
  expect(statuses(out)).toEqual([200, 200, 400]);
  expect(out.indexOf('slow page')).toBeLessThan(out.indexOf('fast page'));
  expect(out.indexOf('fast page')).toBeLessThan(out.indexOf(' 400 '));
});

it('answers a client that half-closes after a whole request', async () => {
  const out = await raw(GET('/slow.pt'), true);
  expect(statuses(out)).toEqual([200]);
  expect(out).toContain('slow page');
});

it('refuses CONNECT with 405 and the methods it serves', async () => {
  const out = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  expect(statuses(out)).toEqual([405]);
  expect(out).toMatch(/^Allow: GET, HEAD, POST/m);
});

it('answers a method it does not know with 501', async () => {
  const out = await raw('BREW /fast.pt HTTP/1.1\r\nHost: localhost\r\n\r\n');
  expect(statuses(out)).toEqual([501]);
  expect(out).toMatch(/^Allow: /m);
});
