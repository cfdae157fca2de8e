/**
 * A throwaway PostgreSQL server for fault tests, which stop and start it: `initdb` into a
 * temporary folder, then `pg_ctl` on a free port (as the `postgres` user when the tests run as
 * root, since PostgreSQL refuses to run as root). The shared development server is never touched.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = process.env.PSE_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const asRoot = process.getuid?.() === 0;

export interface ThrowawayCluster {
  port: number;
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  start(): Promise<void>;
  /** `immediate`: as a crash would (no shutdown checkpoint); `fast`: a clean stop */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** stops it and removes its folder */
  destroy(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** A binary of PostgreSQL, as its owner. */
async function pgBin(name: string, args: string[]): Promise<void> {
  const file = path.join(BIN, name);
  if (asRoot) await run('runuser', ['-u', 'postgres', '--', file, ...args], { timeout: 120_000 });
  else await run(file, args, { timeout: 120_000 });
}

export async function throwawayCluster(): Promise<ThrowawayCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-pg-'));
  const data = path.join(dir, 'data');
  if (asRoot) await run('chown', ['-R', 'postgres', dir]);
  await pgBin('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=30`;
  let running = false;
  const c: ThrowawayCluster = {
    port,
    url: `postgresql://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pgBin('pg_ctl', ['-D', data, '-o', opts, '-l', path.join(dir, 'log'), '-w', 'start']);
      running = true;
    },
    async stop(mode = 'fast') {
      await pgBin('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) await c.stop('immediate').catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return c;
}
