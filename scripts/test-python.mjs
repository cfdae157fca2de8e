// Runs the Python side's unit tests with the real interpreter; fails when no test ran.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../src/engine/python', import.meta.url));
const python = process.env.PSE_PYTHON || 'python3';
const r = spawnSync(python, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], {
  cwd: dir,
  encoding: 'utf8',
});
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
const ran = /Ran (\d+) test/.exec(r.stderr);
if (!ran || Number(ran[1]) === 0) {
  console.error('test:py: no Python test ran');
  process.exit(1);
}
process.exit(r.status ?? 1);
