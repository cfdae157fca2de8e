/** A `pse` with only the compile command, for tests that need a real process and exit status. */
import { Command } from 'commander';
import { register } from '../../../src/cli/commands/compile.js';

const program = new Command('pse');
register(program);
await program.parseAsync(process.argv);
