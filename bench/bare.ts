/**
 * The baseline of the `hello` figures: a bare node:http server in its own process, answering
 * every request with the same bytes and headers as PSE's hello page.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A bare node:http server in its own process, answering `body` with the same headers. */
export function bareServer(
  body: Buffer,
  contentType: string,
): Promise<{ url: string; child: ChildProcess }> {
  const script = `
    const http = require('node:http');
    const body = Buffer.from(process.env.BODY, 'base64');
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': process.env.CTYPE, 'Content-Length': body.length });
      res.end(body);
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: { ...process.env, BODY: body.toString('base64'), CTYPE: contentType },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.once('data', (d: Buffer) =>
      resolve({ url: `http://127.0.0.1:${d.toString().trim()}/hello`, child }),
    );
  });
}
