/**
 * The resolved interpreter remembered between runs: used while what decides it is unchanged,
 * asked again as soon as any of it changes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest';
import { rememberedPython, rememberPython } from '../../src/engine/runtime/python-cache.js';
import { resolvePython } from '../../src/engine/runtime/python.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-pycache-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const saved = { ...process.env };
let n = 0;
let bin = '';
let log = '';
let real = '';
beforeEach(async () => {
  real = (await resolvePython('python3')).executable;
  const here = path.join(dir, `t${n++}`);
  bin = path.join(here, 'bin');
  log = path.join(here, 'asked');
  fs.mkdirSync(bin, { recursive: true });
  // a shim, as pyenv's: it notes each time it is run, then runs the real interpreter
  writeShim('');
  process.env.XDG_CACHE_HOME = path.join(here, 'cache');
  process.env.PATH = `${bin}${path.delimiter}${saved.PATH}`;
  delete process.env.PYENV_VERSION;
});
afterEach(() => {
  for (const name of ['PATH', 'XDG_CACHE_HOME', 'PYENV_VERSION']) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

function writeShim(extra: string): void {
  const file = path.join(bin, 'python3');
  fs.writeFileSync(file, `#!/bin/sh\n${extra}echo asked >> ${log}\nexec ${real} "$@"\n`);
  fs.chmodSync(file, 0o755);
}

const info = () => ({ executable: real, version: '3.11.7', major: 3, minor: 11 });

it('is used while PATH, the shim, pyenv settings and the interpreter stay the same', () => {
  expect(rememberedPython('python3')).toBeNull();
  rememberPython('python3', info());
  expect(rememberedPython('python3')).toEqual(info());
  // another version chosen for pyenv: asked again
  process.env.PYENV_VERSION = '3.12.0';
  expect(rememberedPython('python3')).toBeNull();
  delete process.env.PYENV_VERSION;
  expect(rememberedPython('python3')).toEqual(info());
  // the shim replaced (another pyenv, another venv wrapper): asked again
  writeShim('# changed\n');
  expect(rememberedPython('python3')).toBeNull();
});

it('is not used once the interpreter it names is another file, or gone', () => {
  const fake = path.join(bin, 'python3.11');
  fs.copyFileSync(real, fake);
  rememberPython('python3', { ...info(), executable: fake });
  expect(rememberedPython('python3')?.executable).toBe(fake);
  fs.appendFileSync(fake, '\n');
  expect(rememberedPython('python3')).toBeNull();
  rememberPython('python3', { ...info(), executable: fake });
  fs.rmSync(fake);
  expect(rememberedPython('python3')).toBeNull();
});

it('spares a second `pse` process the shim: only the first asks it', () => {
  const script = `
    import { resolvePython } from ${JSON.stringify(path.join(ROOT, 'src/engine/runtime/python.ts'))};
    console.log((await resolvePython('python3')).executable);
  `;
  const run = () =>
    execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: ROOT,
      env: process.env,
    })
      .toString()
      .trim();
  expect(run()).toBe(real);
  expect(run()).toBe(real);
  expect(fs.readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
});
