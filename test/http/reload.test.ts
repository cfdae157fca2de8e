/**
 * A running engine follows the app's files: a changed template needs nothing, a changed helper
 * module restarts the workers, a changed pse.conf is applied — unless it is broken, and then the
 * old configuration keeps serving and the located error is reported.
 */
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/engine/config/index.js';
import { Engine } from '../../src/engine/engine.js';
import type { LocatedError } from '../../src/engine/runtime/protocol.js';
import { bootApp, request, type Booted } from './engine-helpers.js';

let app: Booted;
const configErrors: LocatedError[][] = [];
const reloads: string[] = [];

beforeAll(async () => {
  app = await bootApp('servlets', { workers: 1 });
  app.engine.on('config-error', (e) => configErrors.push(e));
  app.engine.on('reload', (r) => reloads.push(r.scope));
});
afterAll(() => app?.stop());

const body = async (p: string): Promise<string> => (await request(app.port, 'GET', p)).body;

/** Write and move the mtime forward, so a change within the same clock tick is still seen. */
async function edit(rel: string, text: string): Promise<void> {
  const file = path.join(app.root, rel);
  await writeFile(file, text);
  const later = new Date(Date.now() + 2000);
  await utimes(file, later, later);
}

describe('hot reload', () => {
  it('serves a changed template on the next request', async () => {
    expect(await body('/hot.pt')).toBe('template v1');
    await edit('hot.pt', 'template v2, longer');
    expect(await body('/hot.pt')).toBe('template v2, longer');
  });

  it('restarts the workers when a helper module changes', async () => {
    expect(await body('/uses_helper.pt')).toBe('one');
    await edit('lib/helper.py', "VALUE = 'two'\n");
    await expect
      .poll(() => body('/uses_helper.pt'), { timeout: 20_000, interval: 200 })
      .toBe('two');
    await expect.poll(() => reloads, { timeout: 20_000 }).toContain('workers');
  });

  it('applies a changed pse.conf', async () => {
    expect(await body('/escape.pt')).toBe('escaped: &lt;script&gt;');
    const conf = await readFile(path.join(app.root, 'pse.conf'), 'utf8');
    await edit('pse.conf', conf.replace('[Main]', '[Main]\nAutoEscape = no'));
    await expect
      .poll(() => body('/escape.pt'), { timeout: 20_000, interval: 200 })
      .toBe('escaped: <script>');
    expect(app.engine.config.main.autoEscape).toBe(false);
    await expect.poll(() => reloads, { timeout: 20_000 }).toContain('config');
  });

  it('keeps the old configuration running when pse.conf breaks, and reports where', async () => {
    const conf = await readFile(path.join(app.root, 'pse.conf'), 'utf8');
    await edit('pse.conf', conf.replace('[Main]', '[Main]\nWrokers = 3'));
    await expect
      .poll(() => configErrors.length, { timeout: 20_000, interval: 100 })
      .toBeGreaterThan(0);
    const line = conf.split('\n').indexOf('[Main]') + 2;
    expect(configErrors[0]![0]).toMatchObject({
      file: path.join(app.root, 'pse.conf'),
      line,
      col: 1,
    });
    expect(configErrors[0]![0]!.message).toContain("unknown option 'Wrokers'");
    expect(await body('/escape.pt')).toBe('escaped: <script>');
  });
});

describe('a broken pse.conf at start', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-broken-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('does not start, with the located error', async () => {
    await writeFile(path.join(dir, 'pse.conf'), '[Main]\nWorkers = many\n');
    const err = await Engine.open(dir, { watch: false, logFiles: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ line: 2, col: 11 });
  });

  it('does not start when a plugin option is wrong (validated in Python)', async () => {
    await writeFile(
      path.join(dir, 'pse.conf'),
      '[Main]\nWorkers = 1\n\n[plugins.nosuchplugin]\nColour = red\n',
    );
    const err = await Engine.open(dir, { watch: false, logFiles: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toContain('nosuchplugin');
  });
});
