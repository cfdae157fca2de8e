import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputCache } from '../../src/engine/request/output-cache.js';

describe('OutputCache', () => {
  let dir: string;
  let now = 1_000_000;
  const clock = (): number => now;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-cache-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('keys by GET + URL + Host', () => {
    expect(OutputCache.key('GET', '/a?x=1', 'a.example')).toBe('GET /a?x=1 a.example');
    expect(OutputCache.key('HEAD', '/a?x=1', 'A.Example')).toBe('GET /a?x=1 a.example');
    expect(OutputCache.key('GET', '/a?x=1', 'b.example')).not.toBe(
      OutputCache.key('GET', '/a?x=1', 'a.example'),
    );
    expect(OutputCache.key('GET', '/a', undefined)).toBe('GET /a ');
    expect(OutputCache.key('POST', '/a', 'a.example')).toBeNull();
  });

  it('serves a page until it expires, from memory and from OutputCacheDir after a restart', async () => {
    const a = new OutputCache(dir, clock);
    await a.set('GET /p', {
      status: 200,
      headers: [['Content-Type', 'text/plain']],
      body: Buffer.from('page'),
      until: now + 5000,
    });
    expect((await a.get('GET /p'))?.body.toString()).toBe('page');
    expect(await readdir(dir)).toHaveLength(1);
    const restarted = new OutputCache(dir, clock);
    expect(await restarted.get('GET /p')).toMatchObject({
      status: 200,
      headers: [['Content-Type', 'text/plain']],
    });
    now += 5000;
    expect(await restarted.get('GET /p')).toBeNull();
    expect(await readdir(dir)).toHaveLength(0);
  });

  it('treats a damaged disk entry as a miss', async () => {
    const c = new OutputCache(dir, clock);
    await c.set('GET /d', { status: 200, headers: [], body: Buffer.from('x'), until: now + 1000 });
    const [file] = await readdir(dir);
    await writeFile(path.join(dir, file!), 'not json\nbody');
    expect(await new OutputCache(dir, clock).get('GET /d')).toBeNull();
  });

  it('does not store what is already stale', async () => {
    const c = new OutputCache(null, clock);
    await c.set('GET /s', { status: 200, headers: [], body: Buffer.from('x'), until: now - 1 });
    expect(await c.get('GET /s')).toBeNull();
  });
});
