/** How the browser tests find their Chromium, and what they do where there is none. */
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserTestFiles, mayRunAny } from './chromium-setup.js';
import { findChromium, installPlan } from './chromium.js';

describe('finding Chromium', () => {
  let dir: string;
  const exe = (name: string): string => path.join(dir, name);

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-chromium-'));
    await mkdir(path.join(dir, 'bin1'));
    await mkdir(path.join(dir, 'bin2'));
    for (const name of ['own', 'bin1/google-chrome', 'bin2/chromium-browser', 'bin2/chromium']) {
      await writeFile(exe(name), '#!/bin/sh\n');
      await chmod(exe(name), 0o755);
    }
    await writeFile(exe('bin1/chromium'), 'not executable');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const PATH = (): string => [exe('bin1'), exe('bin2')].join(path.delimiter);

  it('takes PSE_CHROMIUM, then CHROME_PATH, first', () => {
    expect(findChromium({ PSE_CHROMIUM: exe('own'), PATH: PATH() }, exe('own'))).toEqual({
      path: exe('own'),
      source: '$PSE_CHROMIUM',
    });
    expect(findChromium({ CHROME_PATH: exe('bin1/google-chrome') }, undefined)).toEqual({
      path: exe('bin1/google-chrome'),
      source: '$CHROME_PATH',
    });
    expect(() => findChromium({ PSE_CHROMIUM: exe('missing') }, undefined)).toThrow(
      /PSE_CHROMIUM=.*missing: no executable file there/,
    );
  });

  it("then Playwright's download, then chromium, chromium-browser, google-chrome on PATH", () => {
    expect(findChromium({ PATH: PATH() }, exe('own'))?.source).toBe("Playwright's download");
    // bin1/chromium is not executable: bin2/chromium is the first chromium on PATH
    expect(findChromium({ PATH: PATH() }, exe('absent'))).toEqual({
      path: exe('bin2/chromium'),
      source: "the system's chromium",
    });
    expect(findChromium({ PATH: exe('bin1') }, undefined)?.source).toBe(
      "the system's google-chrome",
    );
    expect(findChromium({ PATH: path.join(dir, 'nowhere') }, exe('absent'))).toBeUndefined();
  });

  it("installs Playwright's download, and as root on Debian/Ubuntu the package as a fallback", () => {
    const root = installPlan({ root: true, apt: true }, '/pw/cli.js');
    expect(root.map((steps) => steps.map((s) => [s.command, ...s.args].join(' ')))).toEqual([
      [`${process.execPath} /pw/cli.js install --with-deps chromium`],
      ['apt-get update -qq', 'apt-get install -y -qq chromium'],
    ]);
    expect(root[0]![0]!.say).toMatch(/^no Chromium found: downloading Playwright's Chromium/);
    const user = installPlan({ root: false, apt: true }, '/pw/cli.js');
    expect(user).toEqual([
      [expect.objectContaining({ args: ['/pw/cli.js', 'install', 'chromium'] })],
    ]);
  });
});

describe('which runs need a Chromium', () => {
  const files = browserTestFiles();

  it('knows the browser tests', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'test/studio/ui.test.ts',
        'test/studio/ui-workspace.test.ts',
        'test/studio/inspector-ui.test.ts',
      ]),
    );
    expect(files).not.toContain('test/studio/chromium.test.ts');
  });

  it('readies one for a whole run or a filter naming a browser test, not otherwise', () => {
    const cmd = ['node', '/x/node_modules/vitest/vitest.mjs', 'run'];
    expect(mayRunAny(cmd, files)).toBe(true);
    expect(mayRunAny([...cmd, 'test/studio'], files)).toBe(true);
    expect(mayRunAny([...cmd, 'ui-workspace'], files)).toBe(true);
    expect(mayRunAny([...cmd, 'test/config', 'test/http/core.test.ts'], files)).toBe(false);
    expect(mayRunAny([...cmd, '--maxWorkers=1', 'test/runtime'], files)).toBe(false);
  });
});
