/**
 * Real processes for the scale-out tests: `pse serve` started from source, nginx in front of
 * given ports (with the configuration shipped in docs/nginx.conf), and an HTTP client that
 * keeps its connections alive like a browser.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const NGINX = '/usr/sbin/nginx';

import { killAll as killPse } from '../helpers/pse-process.js';

export { startPse, stopPse, type PseProcess as Pse } from '../helpers/pse-process.js';

/** the nginx processes started */
const started: ChildProcess[] = [];

/** Kills whatever a test left running. */
export function killAll(): void {
  killPse();
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

/**
 * nginx in front of `ports` (127.0.0.1), run as an unprivileged foreground process with its own
 * prefix in a temporary folder, configured by docs/nginx.conf with only its listen port and
 * upstream servers replaced: the configuration users copy is the one tested.
 */
export async function startNginx(ports: number[]): Promise<Nginx> {
  if (!fs.existsSync(NGINX))
    throw new Error(
      `no nginx at ${NGINX}: install it (Debian: apt-get install -y nginx; the test run does it when run as root)`,
    );
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-nginx-'));
  fs.mkdirSync(path.join(prefix, 'logs'));
  // nginx's workers may run as another user (when the tests run as root): they use the temp dirs.
  fs.chmodSync(prefix, 0o755);
  const port = await freePort();
  const shipped = fs.readFileSync(path.join(ROOT, 'docs/nginx.conf'), 'utf8');
  const servers = ports.map((p) => `server 127.0.0.1:${p};`).join('\n        ');
  const conf = shipped
    .replace(/^\s*server 127\.0\.0\.1:808\d[^\n]*\n/gm, '')
    .replace('keepalive 32;', `${servers}\n        keepalive 32;`)
    .replace(/listen 80;/, `listen 127.0.0.1:${port};`)
    .replace(/^user [^\n]*\n/m, '')
    .replace(/^pid [^\n]*/m, `pid ${path.join(prefix, 'nginx.pid')};`)
    .replace(/^error_log [^\n]*/m, `error_log ${path.join(prefix, 'logs/error.log')} warn;`)
    .replace(/access_log [^;]*;/, 'access_log off;')
    .replace(
      'http {',
      `http {\n${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((t) => `    ${t}_temp_path ${path.join(prefix, t)};`)
        .join('\n')}`,
    );
  if (!conf.includes(`127.0.0.1:${ports[0]}`) || !conf.includes(`listen 127.0.0.1:${port}`))
    throw new Error('docs/nginx.conf no longer has the upstream and listen lines this test edits');
  const confFile = path.join(prefix, 'nginx.conf');
  fs.writeFileSync(confFile, conf);
  const child = spawn(NGINX, ['-p', prefix, '-c', confFile, '-g', 'daemon off;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  started.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited (${child.exitCode}):\n${err}`);
    if (await answers(port)) break;
    if (Date.now() > deadline) throw new Error(`nginx did not listen within 30 s:\n${err}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          fs.rmSync(prefix, { recursive: true, force: true });
          resolve();
        };
        if (child.exitCode !== null) return done();
        child.once('exit', done);
        child.kill('SIGQUIT');
      }),
  };
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export interface Reply {
  status: number;
  body: string;
  setCookie: string[];
}

const REQUEST_TIMEOUT_MS = 90_000;

/** A client with a pool of keep-alive connections, `sockets` at most (requests beyond wait). */
export function client(sockets: number): {
  request(url: string, opts?: { method?: string; cookie?: string }): Promise<Reply>;
  close(): void;
} {
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  return {
    request: (url, opts = {}) =>
      new Promise<Reply>((resolve, reject) => {
        const req = http.request(
          url,
          {
            agent,
            method: opts.method ?? 'GET',
            headers: {
              ...(opts.cookie ? { cookie: opts.cookie } : {}),
              ...(opts.method === 'POST' ? { 'content-length': '0' } : {}),
            },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => (body += d));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                body,
                setCookie: res.headers['set-cookie'] ?? [],
              }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        // A request never hangs a test: past this it fails like a dropped connection.
        req.setTimeout(REQUEST_TIMEOUT_MS, () =>
          req.destroy(new Error(`${url}: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)),
        );
        req.end();
      }),
    close: () => agent.destroy(),
  };
}

/** `name=value` of a Set-Cookie list's session cookie. */
export function sessionCookie(setCookie: string[]): string {
  const c = setCookie.find((h) => h.startsWith('pse_session='));
  if (!c) throw new Error(`no session cookie in ${JSON.stringify(setCookie)}`);
  return c.split(';')[0]!;
}

/**
 * An app whose pages exercise a session across processes: `count` increments a counter
 * (read-modify-write), `append?v=` appends to a list, `show` prints the list, `hold` marks the
 * process serving it in a file and sleeps with the session locked; each page prints the pid of
 * the engine process that served it (its worker's parent). `sessionConf`: more
 * `[plugins.session]` lines (another store).
 */
export function scaleApp(lockTimeout: number, sessionConf = ''): string {
  const app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-scale-'));
  const page = (name: string, py: string): void => {
    fs.writeFileSync(
      path.join(app, `${name}.py`),
      `import os\nfrom pse.plugins import session\n${py}`,
    );
    fs.writeFileSync(path.join(app, `${name}.pt`), '<?= out ?> <?= os.getppid() ?>');
  };
  page('count', `d = session.new()\nd['n'] = d.get('n', 0) + 1\nout = d['n']\n`);
  page(
    'append',
    `d = session.new()\nd.setdefault('seen', []).append(int(pse.form['v']))\nout = len(d['seen'])\n`,
  );
  page('show', `out = ','.join(map(str, session.new().get('seen', [])))\n`);
  page(
    'hold',
    `import time
d = session.new()
with open(os.path.join(${JSON.stringify(app)}, 'holder'), 'w') as f:
    f.write(str(os.getppid()))
time.sleep(float(pse.form['s']))
d['held'] = True
out = 'held'
`,
  );
  fs.writeFileSync(
    path.join(app, 'pse.conf'),
    `[plugins.session]\nLockTimeout = ${lockTimeout}\n${sessionConf}`,
  );
  return app;
}
