/**
 * The documented server limits hold over a real socket: a client trickling its request head is
 * cut (408) once headersTimeout has passed — about 10 s by default, not node:http's 30 s
 * connection-check interval — and others are served meanwhile.
 */
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  checkingInterval,
  DEFAULT_LIMITS,
  listen,
  type ServerLimits,
} from '../../src/engine/http/node-adapter.js';

const ok = (): Promise<{ status: number; headers: [string, string][]; body: Buffer }> =>
  Promise.resolve({
    status: 200,
    headers: [['Content-Type', 'text/plain']],
    body: Buffer.from('ok'),
  });

/** Opens a connection that sends one more header byte every 200 ms; resolves when the server
 * closes it, with the seconds it lasted and what the server wrote. */
function trickle(port: number): Promise<{ seconds: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const s = net.connect(port, '127.0.0.1', () => {
      s.write('GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
      timer = setInterval(() => s.writable && s.write('a'), 200);
    });
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', () => undefined); // a reset after the 408 is the server cutting us off
    s.on('close', () => {
      clearInterval(timer);
      resolve({
        seconds: (performance.now() - started) / 1000,
        reply: Buffer.concat(chunks).toString(),
      });
    });
    setTimeout(() => {
      s.destroy();
      reject(new Error('the trickling client was never cut off'));
    }, 40_000).unref();
  });
}

function get(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
      .on('error', reject);
  });
}

describe('slow clients', () => {
  it('checks the limits often enough for each to hold within 10 %', () => {
    expect(checkingInterval(DEFAULT_LIMITS)).toBeLessThanOrEqual(1000);
    expect(checkingInterval({ ...DEFAULT_LIMITS, headersTimeout: 1500 })).toBe(150);
  });

  it('cuts a client trickling its headers after headersTimeout (a short one configured)', async () => {
    const limits: ServerLimits = { ...DEFAULT_LIMITS, headersTimeout: 1500 };
    const server = await listen(ok, 0, '127.0.0.1', limits);
    try {
      const cut = trickle(server.port);
      expect(await get(server.port)).toBe(200);
      const { seconds, reply } = await cut;
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(seconds).toBeGreaterThanOrEqual(1.4);
      expect(seconds).toBeLessThan(8);
    } finally {
      await server.close();
    }
  });

  it('cuts it after about 10 s with the default limits', async () => {
    const server = await listen(ok, 0);
    try {
      const { seconds, reply } = await trickle(server.port);
      expect(reply).toMatch(/^HTTP\/1\.1 408 /);
      expect(seconds).toBeGreaterThanOrEqual(9.9);
      // node:http's own 30 s check would land near 30 s; a loaded machine may add a few
      expect(seconds).toBeLessThan(20);
    } finally {
      await server.close();
    }
  }, 60_000);
});
