/** `pse test APP [FILES…]`: replay recorded visits (`tests/*.psetest`) against the app's current code. */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { EXIT_FAILED, EXIT_USAGE, reportFailure } from '../report.js';

interface TestOptions {
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('test')
    .description(
      'replay recorded visits (tests/*.psetest) against a fresh, temporary session store; exits 1 when a step differs',
    )
    .argument('<app>', 'the application folder')
    .argument('[files...]', 'test files (default: every .psetest under APP/tests/)')
    .option('--json', 'print the results as JSON')
    .action(async (app: string, files: string[], opts: TestOptions) => {
      process.exitCode = await testApp(path.resolve(app), files, opts);
    });
}

async function testApp(app: string, files: string[], opts: TestOptions): Promise<number> {
  if (!existsSync(app) || !statSync(app).isDirectory()) {
    process.stderr.write(
      `pse test: ${app} is not a folder: an application is a folder of .pt pages\n`,
    );
    return EXIT_USAGE;
  }
  const { findTests, formatRun, runTests } = await import('../../engine/index.js');
  const list = files.length ? files.map((f) => path.resolve(f)) : await findTests(app);
  if (list.length === 0) {
    process.stderr.write(
      `pse test: no tests: ${path.join(app, 'tests')} holds no .psetest files (Studio's request log exports them)\n`,
    );
    return EXIT_USAGE;
  }
  try {
    const run = await runTests(app, list, {
      log: (l) => l.kind === 'error' && process.stderr.write(l.text + '\n'),
    });
    process.stdout.write(opts.json ? JSON.stringify(run, null, 2) + '\n' : formatRun(run));
    return run.ok ? 0 : EXIT_FAILED;
  } catch (err) {
    return reportFailure(err, `cannot test ${app}`);
  }
}
