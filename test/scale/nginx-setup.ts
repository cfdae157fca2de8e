/**
 * vitest globalSetup: the multi-process tests put a real nginx in front of PSE. Where the machine
 * has none, the run installs Debian's or Ubuntu's package when it runs as root (saying so in one
 * line), once, outside the tests' timeouts; elsewhere the nginx test says what to install.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mayRunAny } from '../studio/chromium-setup.js';
import { NGINX } from './processes.js';

export default function setup(): void {
  if (existsSync(NGINX) || !mayRunAny(process.argv, ['test/scale/nginx.test.ts'])) return;
  const root = process.getuid?.() === 0;
  if (!root || !existsSync('/etc/debian_version')) return;
  console.log(
    `pse tests: no nginx at ${NGINX}: installing the distribution's package (apt-get install -y nginx)`,
  );
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '-qq', 'nginx'], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}
