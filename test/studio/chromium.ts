/**
 * The Chromium the browser tests (and `npm run bench`) drive, found or — where there is none —
 * installed, so that `npm install && npm test` is all the set-up a machine needs.
 *
 * Looked for in this order: `PSE_CHROMIUM` or `CHROME_PATH`; Playwright's own download (what
 * `playwright-core install chromium` puts in its cache); the system's `chromium`,
 * `chromium-browser`, `google-chrome`, `google-chrome-stable` on PATH. Where none is found it is
 * installed, each step announced in one line: Playwright's download (with the libraries it needs
 * when running as root on Debian or Ubuntu), else the distribution's `chromium` package when
 * running as root on Debian or Ubuntu. Parallel test files share one installation (a lock).
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export interface FoundChromium {
  path: string;
  /** where it was found, for messages */
  source: string;
}

export const SYSTEM_NAMES = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
];
const ENV_NAMES = ['PSE_CHROMIUM', 'CHROME_PATH'];

function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `name` on the PATH given, or undefined. */
export function onPath(name: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

/** Where Playwright keeps the Chromium of this playwright-core version (it may not be there). */
export function playwrightChromiumPath(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    return undefined;
  }
}

/** The first Chromium of the search order, or undefined. A variable naming no executable is an error. */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  playwrightPath: string | undefined = playwrightChromiumPath(),
): FoundChromium | undefined {
  for (const name of ENV_NAMES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    if (isExecutableFile(value)) return { path: value, source: `$${name}` };
    throw new Error(`${name}=${value}: no executable file there; unset it or point it at Chromium`);
  }
  if (playwrightPath !== undefined && isExecutableFile(playwrightPath))
    return { path: playwrightPath, source: "Playwright's download" };
  for (const name of SYSTEM_NAMES) {
    const file = onPath(name, env.PATH);
    if (file !== undefined) return { path: file, source: `the system's ${name}` };
  }
  return undefined;
}

export interface Machine {
  root: boolean;
  /** Debian, Ubuntu or a derivative (apt-get present) */
  apt: boolean;
}

export interface InstallStep {
  /** the one line said before the step runs */
  say: string;
  command: string;
  args: string[];
}

/** What to try, in order, on a machine without Chromium. */
export function installPlan(machine: Machine, playwrightCli: string): InstallStep[][] {
  const aptOk = machine.root && machine.apt;
  const steps: InstallStep[][] = [
    [
      {
        say: aptOk
          ? "no Chromium found: downloading Playwright's Chromium and the libraries it needs (playwright-core install --with-deps chromium)"
          : "no Chromium found: downloading Playwright's Chromium (playwright-core install chromium)",
        command: process.execPath,
        args: [playwrightCli, 'install', ...(aptOk ? ['--with-deps'] : []), 'chromium'],
      },
    ],
  ];
  if (aptOk)
    steps.push([
      {
        say: "Playwright's download failed: installing the distribution's package (apt-get install -y chromium)",
        command: 'apt-get',
        args: ['update', '-qq'],
      },
      { say: '', command: 'apt-get', args: ['install', '-y', '-qq', 'chromium'] },
    ]);
  return steps;
}

function thisMachine(): Machine {
  return {
    root: process.getuid?.() === 0,
    apt: existsSync('/etc/debian_version') && onPath('apt-get', process.env.PATH) !== undefined,
  };
}

function playwrightCliPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('playwright-core/package.json')), 'cli.js');
}

const LOCK = path.join(os.tmpdir(), 'pse-chromium-install.lock');
const INSTALL_TIMEOUT_MS = 15 * 60_000;

/** Runs `fn` while holding a lock shared by every process of this machine (a folder). */
function withLock<T>(fn: () => T): T {
  const until = Date.now() + INSTALL_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // a lock older than any installation is one whose holder died
      const age = Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > INSTALL_TIMEOUT_MS) rmdirSync(LOCK);
      else if (Date.now() > until) throw new Error(`waited too long for ${LOCK}`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
    }
  }
  try {
    return fn();
  } finally {
    rmdirSync(LOCK);
  }
}

/** The line of a failed command's output that says why: the first naming an error. */
function firstError(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  return lines.find((l) => /error|failed|unable|denied/i.test(l)) ?? lines[0] ?? 'failed';
}

const say = (line: string): void => void process.stderr.write(`pse tests: ${line}\n`);

let found: string | undefined;

/** The Chromium to launch: found, or installed now. Throws one line saying what to do otherwise. */
export function ensureChromium(): string {
  if (found !== undefined) return found;
  const now = findChromium();
  if (now) return (found = now.path);
  return withLock(() => {
    const again = findChromium(); // another process may have installed it meanwhile
    if (again) return (found = again.path);
    const failures: string[] = [];
    for (const steps of installPlan(thisMachine(), playwrightCliPath())) {
      let ok = true;
      for (const step of steps) {
        if (step.say) say(step.say);
        const r = spawnSync(step.command, step.args, {
          stdio: ['ignore', 'ignore', 'pipe'],
          timeout: INSTALL_TIMEOUT_MS,
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        });
        if (r.status !== 0) {
          const why = r.error?.message ?? firstError(r.stderr?.toString() ?? '');
          failures.push(`${path.basename(step.command)} ${step.args.join(' ')}: ${why}`);
          ok = false;
          break;
        }
      }
      const installed = ok ? findChromium() : undefined;
      if (installed) {
        say(`using ${installed.path} (${installed.source})`);
        return (found = installed.path);
      }
    }
    throw new Error(
      `No Chromium for the browser tests, and none could be installed (${failures.join('; ') || 'no way to install one here'}). ` +
        'Install one (Debian: apt-get install -y chromium; elsewhere: npx playwright-core install chromium) or set PSE_CHROMIUM to its path.',
    );
  });
}
