/**
 * Starting the desktop app from Node (the `pse studio` command): find the Electron binary and
 * run the built main process on an app folder. When Electron cannot run here, say why in one
 * line so the caller can fall back to browser mode.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT } from '../engine/boot.js';

/** The built main process (found from the package's root: this code may run from a bundle). */
export const MAIN_ENTRY = path.join(PACKAGE_ROOT, 'out', 'main', 'index.js');

/** The Electron executable, or the reason there is none. */
export function findElectron(): { path: string } | { error: string } {
  try {
    const require = createRequire(import.meta.url);
    // The `electron` package's main export is the path of its downloaded binary.
    const bin = require('electron') as unknown;
    if (typeof bin !== 'string') return { error: 'the electron package did not name a binary' };
    if (!existsSync(bin)) return { error: `the Electron binary is missing (${bin})` };
    return { path: bin };
  } catch (err) {
    return { error: `Electron is not installed: ${(err as Error).message.split('\n')[0]}` };
  }
}

/**
 * Runs the desktop app; resolves with null when it exited normally, or the one-line reason it
 * could not start (missing binary, missing display, crash at start).
 */
export function runDesktop(appRoot: string, electron: string): Promise<string | null> {
  if (!existsSync(MAIN_ENTRY))
    return Promise.resolve(`the desktop app is not built (${MAIN_ENTRY}); run \`npm run build\``);
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(electron, [MAIN_ENTRY], {
      stdio: ['ignore', 'inherit', 'pipe'],
      env: { ...process.env, PSE_STUDIO_APP: appRoot },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      process.stderr.write(d);
    });
    child.on('error', (err) => resolve(`Electron could not start: ${err.message}`));
    child.on('exit', (code, signal) => {
      if (code === 0) return resolve(null);
      // Dying within seconds means it never came up (no display, missing libraries).
      const early = Date.now() - started < 5000;
      const why = stderr.trim().split('\n').at(-1) ?? '';
      resolve(
        early
          ? `Electron could not start (${signal ?? `exit ${code}`}${why ? `: ${why}` : ''})`
          : null,
      );
    });
  });
}
