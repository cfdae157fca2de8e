/**
 * The floor of PSE's design on this machine: the least that any server built as PSE is (Node
 * parses HTTP, a Python process runs the page, a pipe between them) does per request, with
 * nothing else. node:http hands each request to one of `workers` Python processes over a pipe
 * (a length-prefixed JSON header, batched per tick as PSE's pool does), Python decodes it and
 * answers a JSON header and a body, Node writes the response. No session, no page, no template.
 * Served beside PSE in the goals run, its figure says how far a goal is from what the design
 * itself allows here: PSE can come near it, never past it.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** The Python side: frames in, one frame out per request; every frame read is answered. */
const WORKER = `
import json, os
loads, dumps = json.loads, json.dumps
buf = b''
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    buf += chunk
    out, at = [], 0
    while len(buf) - at >= 4:
        n = int.from_bytes(buf[at:at + 4], 'little')
        if len(buf) - at - 4 < n:
            break
        req = loads(buf[at + 4:at + 4 + n])
        at += 4 + n
        cookie = req['cookie']
        body = ('Hello, Nick!' if cookie or req['query'] else "I don't know who you are.").encode()
        headers = [['Content-Type', 'text/html; charset=utf-8']]
        if not cookie:
            headers.append(['Set-Cookie', 'floor=%d; Path=/; HttpOnly' % req['id']])
        head = dumps({'id': req['id'], 'status': 200, 'headers': headers}).encode()
        out.append(len(head).to_bytes(4, 'little') + len(body).to_bytes(4, 'little') + head + body)
    buf = buf[at:]
    if out:
        os.write(1, b''.join(out))
`;

/** The Node side, in a process of its own (as PSE's is): prints its port once it listens. */
const SERVER = `
const http = require('node:http');
const { spawn } = require('node:child_process');
const workers = [];
for (let i = 0; i < Number(process.env.WORKERS); i++) {
  const child = spawn(process.env.PYTHON, ['-c', process.env.WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const w = { child, pending: new Map(), queued: [] };
  let buf = Buffer.alloc(0);
  child.stdout.on('data', (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 8) {
      const hn = buf.readUInt32LE(0), bn = buf.readUInt32LE(4);
      if (buf.length < 8 + hn + bn) break;
      const head = JSON.parse(buf.toString('utf8', 8, 8 + hn));
      const body = buf.subarray(8 + hn, 8 + hn + bn);
      buf = buf.subarray(8 + hn + bn);
      const res = w.pending.get(head.id);
      w.pending.delete(head.id);
      res.writeHead(head.status, head.headers.flat());
      res.end(body);
    }
  });
  workers.push(w);
}
let seq = 0;
const server = http.createServer((req, res) => {
  const id = ++seq;
  let w = workers[0];
  for (const x of workers) if (x.pending.size < w.pending.size) w = x;
  w.pending.set(id, res);
  const q = req.url.indexOf('?');
  const msg = Buffer.from(JSON.stringify({
    id, method: req.method, path: q < 0 ? req.url : req.url.slice(0, q),
    query: q < 0 ? '' : req.url.slice(q + 1), cookie: req.headers.cookie ?? '', headers: req.rawHeaders,
  }));
  const frame = Buffer.allocUnsafe(4 + msg.length);
  frame.writeUInt32LE(msg.length, 0);
  msg.copy(frame, 4);
  if (w.queued.push(frame) === 1)
    process.nextTick(() => { w.child.stdin.write(w.queued.length === 1 ? w.queued[0] : Buffer.concat(w.queued)); w.queued = []; });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

/** The floor server with `workers` Python processes of `python`; resolves once it listens. */
export function floorServer(
  python: string,
  workers: number,
): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', SERVER], {
    env: { ...process.env, PYTHON: python, WORKER, WORKERS: String(workers) },
    stdio: ['ignore', 'pipe', 'inherit'],
    // its own process group, so that stopping it stops its Python processes too
    detached: true,
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the floor server exited (${code})`)));
    child.stdout!.once('data', (d: Buffer) =>
      resolve({ url: `http://127.0.0.1:${d.toString().trim()}`, child }),
    );
  });
}

/** Stops the floor server and its Python processes. */
export function stopFloor(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
}
