#!/usr/bin/env node
/**
 * `npm start`: build if needed, then open PSE Studio (desktop) on examples/.
 *
 * 1. Builds (`npm run build`) when out/ or dist/ is missing or older than src/.
 * 2. Finds Electron's binary; when it is missing, runs Electron's own install script once.
 * 3. Under Electron, better-sqlite3 must be built for Electron's ABI: a copy of the package is
 *    staged under node_modules/.cache/pse-electron-sqlite/<electron version>/ and
 *    `prebuild-install --runtime electron` fetches its binary there. The main process passes it
 *    to better-sqlite3 as `nativeBinding` (env PSE_SQLITE_NATIVE_BINDING).
 * 4. If any of that fails, or Electron cannot start, ONE line says why and Studio opens in
 *    browser mode instead, printing the URL.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const app = path.resolve(process.argv[2] ?? path.join(root, 'examples'));
const forceWeb = process.argv.includes('--web');

function newest(dir) {
  let t = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'python' && entry.name !== 'node_modules') t = Math.max(t, newest(p));
    } else t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function needsBuild() {
  const outputs = [
    'out/main/index.js',
    'out/preload/index.cjs',
    'out/renderer/index.html',
    'dist/main/web/launch.js',
    'dist/pse/main.js',
  ].map((f) => path.join(root, f));
  if (outputs.some((f) => !existsSync(f))) return true;
  const built = Math.min(...outputs.map((f) => statSync(f).mtimeMs));
  return newest(path.join(root, 'src')) > built;
}

function build() {
  console.log('pse start: building…');
  const r = spawnSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error('pse start: the build failed (see above)');
    process.exit(1);
  }
}

/** The Electron binary path, or a one-line reason. */
function electronBinary() {
  const find = () => {
    try {
      delete require.cache[require.resolve('electron')];
      const bin = require('electron');
      return typeof bin === 'string' && existsSync(bin) ? bin : null;
    } catch {
      return null;
    }
  };
  let bin = find();
  if (bin) return { bin };
  const install = path.join(root, 'node_modules/electron/install.js');
  if (!existsSync(install)) return { why: 'the electron package is not installed' };
  console.log('pse start: the Electron binary is missing; running its install script…');
  const r = spawnSync(process.execPath, [install], {
    cwd: path.dirname(install),
    encoding: 'utf8',
  });
  bin = find();
  if (bin) return { bin };
  const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const cause = lines.find((l) => /error/i.test(l)) ?? lines.at(-1) ?? `exit ${r.status}`;
  return { why: `the Electron binary could not be installed (${cause.slice(0, 160)})` };
}

/** better-sqlite3 for Electron's ABI, or a one-line reason. */
function sqliteForElectron() {
  const version = require('electron/package.json').version;
  const pkgDir = path.dirname(require.resolve('better-sqlite3/package.json'));
  const stage = path.join(root, 'node_modules/.cache/pse-electron-sqlite', version);
  const binding = path.join(stage, 'build/Release/better_sqlite3.node');
  if (existsSync(binding)) return { binding };
  mkdirSync(stage, { recursive: true });
  cpSync(pkgDir, stage, {
    recursive: true,
    filter: (src) => !src.includes(`${path.sep}build${path.sep}`),
  });
  const prebuild = path.join(root, 'node_modules/prebuild-install/bin.js');
  if (!existsSync(prebuild))
    return { why: 'prebuild-install is not installed: cannot get better-sqlite3 for Electron' };
  const r = spawnSync(
    process.execPath,
    [prebuild, '--runtime', 'electron', '--target', version, '--arch', process.arch],
    {
      cwd: stage,
      encoding: 'utf8',
    },
  );
  if (r.status === 0 && existsSync(binding)) return { binding };
  const last = `${r.stderr ?? ''}`.trim().split('\n').filter(Boolean).at(-1) ?? `exit ${r.status}`;
  return {
    why: `better-sqlite3 could not be fetched for Electron ${version} (${last.slice(0, 160)})`,
  };
}

function runElectron(bin, binding) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(bin, [path.join(root, 'out/main/index.js')], {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, PSE_STUDIO_APP: app, PSE_SQLITE_NATIVE_BINDING: binding },
    });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      process.stderr.write(d);
    });
    child.on('error', (e) => resolve(`Electron could not start (${e.message})`));
    child.on('exit', (code, signal) => {
      if (code === 0 || Date.now() - started > 5000) return resolve(null);
      const last = err.trim().split('\n').at(-1) ?? '';
      resolve(
        `Electron could not start (${signal ?? `exit ${code}`}${last ? `: ${last.slice(0, 160)}` : ''})`,
      );
    });
  });
}

async function browserMode() {
  const { launchWebStudio } = await import(
    pathToFileURL(path.join(root, 'dist/main/web/launch.js')).href
  );
  const studio = await launchWebStudio({
    appRoot: app,
    rendererDir: path.join(root, 'out/renderer'),
  });
  console.log(`PSE Studio (browser mode) for ${app}: ${studio.url}`);
  const stop = () => void studio.close().finally(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (needsBuild()) build();
let why = null;
if (!forceWeb) {
  const electron = electronBinary();
  if ('why' in electron) why = electron.why;
  else {
    const sqlite = sqliteForElectron();
    if ('why' in sqlite) why = sqlite.why;
    else why = await runElectron(electron.bin, sqlite.binding);
    if (why === null) process.exit(0);
  }
  console.error(`pse start: ${why}; opening in browser mode instead.`);
}
await browserMode();
