/** The `pse` command: one subcommand per file under commands/, each exporting register(). */
import { Command } from 'commander';
import { PSE_VERSION } from '../engine/boot.js';
import * as compile from './commands/compile.js';
import * as db from './commands/db.js';
import * as newApp from './commands/new.js';
import * as run from './commands/run.js';
import * as serve from './commands/serve.js';
import * as studio from './commands/studio.js';
import * as test from './commands/test.js';

export function buildProgram(): Command {
  const program = new Command('pse')
    .description(
      'PSE, the Python Servlet Engine: run Python web pages (.pt templates with .py code modules)',
    )
    .version(PSE_VERSION, '-v, --version')
    .showHelpAfterError();
  for (const cmd of [serve, run, compile, studio, newApp, db, test]) cmd.register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
