/**
 * autocannon in its own process (never on the event loop of the server it loads), -c 32, each
 * connection with its own cookie from a list when one is given; and a new session's cookie.
 */
import { spawn } from 'node:child_process';
import { ROOT } from './pse-server.js';

export const CONNECTIONS = 32;

export interface CannonResult {
  n: number;
  rps: number;
  errors: number;
}

export function cannon(url: string, seconds: number, cookies: string[]): Promise<CannonResult> {
  const script = `
    import autocannon from 'autocannon';
    const cookies = ${JSON.stringify(cookies)};
    let k = 0;
    const r = await autocannon({
      url: ${JSON.stringify(url)}, connections: ${CONNECTIONS}, duration: ${seconds},
      setupClient: (client) => { if (cookies.length) client.setHeaders({ cookie: cookies[k++ % cookies.length] }); },
    });
    process.stdout.write(JSON.stringify({ n: r.requests.total, rps: r.requests.total / r.duration, errors: r.errors + r.non2xx }));`;
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as CannonResult)
        : reject(new Error(`autocannon exited ${code}: ${err}`)),
    );
  });
}

/** A new session holding name=Nick: its "name=value" cookie. */
export async function newCookie(base: string): Promise<string> {
  const res = await fetch(`${base}/session_example?name=Nick`);
  await res.text();
  const set = res.headers.getSetCookie()[0];
  if (!set)
    throw new Error(`${base}/session_example?name=Nick set no cookie (status ${res.status})`);
  return set.split(';')[0]!;
}
