/**
 * `[Main] AllowedHosts`: a served app answers only the Host names it lists (421 otherwise), and
 * without the option it answers any. Host names are matched as the README says.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/engine/engine.js';
import { hostProblem, loopbackPatterns, parseHostPattern } from '../../src/engine/host-names.js';
import { request } from './engine-helpers.js';

describe('host names', () => {
  const allowed = ['example.com', '.apps.example.org', 'admin.example.net:8443'].map(
    parseHostPattern,
  );
  it.each([
    'example.com',
    'EXAMPLE.com:80',
    'example.com.',
    'apps.example.org',
    'x.apps.example.org:9000',
    'admin.example.net:8443',
  ])('accepts %s', (host) => expect(hostProblem(allowed, host)).toBeUndefined());
  it.each([
    'evil.example',
    'example.com.evil.example',
    'notapps.example.org',
    'admin.example.net',
    'admin.example.net:8444',
    'example.com:99999',
    'exa mple.com',
    '',
  ])('refuses %j', (host) => expect(hostProblem(allowed, host)).toMatch(/Host/));
  it('refuses a request without Host', () =>
    expect(hostProblem(allowed, undefined)).toBe('the request has no Host header'));
  it('takes the loopback names with one port for Studio', () => {
    const loop = loopbackPatterns(4000);
    for (const ok of ['127.0.0.1:4000', 'localhost:4000', '[::1]:4000', 'LOCALHOST:4000'])
      expect(hostProblem(loop, ok), ok).toBeUndefined();
    for (const bad of ['127.0.0.1', 'localhost:4001', '127.0.0.2:4000', 'rebind.example:4000'])
      expect(hostProblem(loop, bad), bad).toBeDefined();
  });
});

describe('pse serve with [Main] AllowedHosts', () => {
  let base: string;
  let engine: Engine;
  let port: number;

  beforeAll(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'pse-hosts-'));
    await writeFile(
      path.join(base, 'pse.conf'),
      '[Main]\nWorkers = 1\nAllowedHosts = app.example.com, localhost\n',
    );
    await writeFile(path.join(base, 'index.pt'), 'home\n');
    engine = await Engine.open(base, { log: () => undefined });
    ({ port } = await engine.listen(0));
  });
  afterAll(async () => {
    await engine?.close();
    await rm(base, { recursive: true, force: true });
  });

  it('answers the listed names and refuses others with 421', async () => {
    expect((await request(port, 'GET', '/', { host: 'app.example.com' })).body).toBe('home\n');
    expect((await request(port, 'GET', '/', { host: `localhost:${port}` })).status).toBe(200);
    const refused = await request(port, 'GET', '/', { host: `127.0.0.1:${port}` });
    expect(refused.status).toBe(421);
    expect(refused.body).toContain(`Host 127.0.0.1:${port} is not a name this server answers to`);
  });

  it('checks nothing without the option', async () => {
    await writeFile(path.join(base, 'pse.conf'), '[Main]\nWorkers = 1\n');
    const deadline = Date.now() + 20_000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await request(port, 'GET', '/', { host: 'anything.example' })).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
