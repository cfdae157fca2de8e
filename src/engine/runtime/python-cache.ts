/**
 * The interpreter a `PythonExecutable` resolved to, remembered between runs of `pse`. Asking a
 * pyenv shim costs about a third of a second (bash scripts choosing the version) on every
 * `pse serve`, `pse run` and `pse studio`; the answer only changes when what the shim reads
 * changes. So an entry is keyed by those inputs — the command found on PATH (and its file's
 * identity), PATH, the working folder, pyenv's version settings (`PYENV_VERSION`, the nearest
 * `.python-version`, pyenv's global `version` file), an active virtualenv or conda prefix — and
 * used only while the interpreter it names is the same file. Anything else asks again.
 *
 * The file is `$XDG_CACHE_HOME/pse/python.json` (default `~/.cache`); when it cannot be read or
 * written, every start simply asks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PythonInfo } from './python.js';

interface Entry {
  info: PythonInfo;
  /** the interpreter's file when it was asked: [size, mtime ms, inode] */
  file: number[];
}

const MAX_ENTRIES = 32;

export function rememberedPython(exe: string): PythonInfo | null {
  const key = inputsOf(exe);
  const file = cacheFile();
  if (key === null || file === null) return null;
  const entry = readCache(file)[key];
  if (!entry) return null;
  const now = identity(entry.info.executable);
  return now && now.join() === entry.file.join() ? entry.info : null;
}

export function rememberPython(exe: string, info: PythonInfo): void {
  const key = inputsOf(exe);
  const file = cacheFile();
  const id = identity(info.executable);
  if (key === null || file === null || id === null) return;
  const all = readCache(file);
  delete all[key]; // re-inserted last: the oldest entries are dropped first
  all[key] = { info, file: id };
  const keys = Object.keys(all);
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_ENTRIES))) delete all[k];
  try {
    // One level at a time: a recursive mkdir spins forever under /proc (Node 20).
    for (const dir of [path.dirname(path.dirname(file)), path.dirname(file)])
      if (!fs.existsSync(dir)) fs.mkdirSync(dir);
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(all));
    fs.renameSync(tmp, file); // whole or not at all, whatever other pse processes do meanwhile
  } catch {
    // a read-only home: the next start asks the interpreter again
  }
}

function cacheFile(): string | null {
  const base = process.env.XDG_CACHE_HOME || (os.homedir() && path.join(os.homedir(), '.cache'));
  return base ? path.join(base, 'pse', 'python.json') : null;
}

function readCache(file: string): Record<string, Entry> {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
    return data && typeof data === 'object' ? (data as Record<string, Entry>) : {};
  } catch {
    return {};
  }
}

/** What decides which interpreter `exe` starts; null when it is not found (the probe says so). */
function inputsOf(exe: string): string | null {
  const found = onPath(exe);
  const id = found && identity(found);
  if (!found || !id) return null;
  const env = process.env;
  const pyenvRoot = env.PYENV_ROOT || path.join(os.homedir(), '.pyenv');
  return JSON.stringify([
    exe,
    found,
    id,
    env.PATH ?? '',
    process.cwd(),
    env.PYENV_VERSION ?? null,
    nearest('.python-version'),
    read(path.join(pyenvRoot, 'version')),
    env.VIRTUAL_ENV ?? null,
    env.CONDA_PREFIX ?? null,
  ]);
}

function onPath(exe: string): string | null {
  if (exe.includes('/')) return path.resolve(exe);
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, exe);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

function identity(file: string): number[] | null {
  try {
    const st = fs.statSync(file);
    return [st.size, st.mtimeMs, st.ino];
  } catch {
    return null;
  }
}

/** The content of `name` in the working folder or the closest folder above it that has one. */
function nearest(name: string): string | null {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const text = read(path.join(dir, name));
    if (text !== null) return text;
    if (path.dirname(dir) === dir) return null;
  }
}

function read(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
