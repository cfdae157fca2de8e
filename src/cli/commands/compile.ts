/**
 * `pse compile SRC [DEST]`: compile every template of a tree, syntax-check the generated code
 * and every code module with the real Python, write the `.pty` files (beside each template, or
 * under DEST mirroring the tree) and print every error as `file:line:col: message` with an
 * excerpt. Exit status 1 when anything failed. `--stage tokens|ast|py` dumps one stage of one
 * template instead.
 *
 * Custom tag names come from the application's tag modules (docs/language.md, Custom tags): when SRC or a folder
 * above it holds a `pse.conf` with `[Main] TagModules`, one worker boots with that
 * configuration and reports the names it registered; `--tags` adds to them.
 */
import type { Command } from 'commander';

export const STAGES = ['tokens', 'ast', 'py'] as const;
export type Stage = (typeof STAGES)[number];

export interface CompileCommandOptions {
  src: string;
  dest?: string;
  /** custom tag class names */
  tags?: readonly string[];
  stage?: Stage;
  /** the Python interpreter (a name on PATH or a path); default: pse.conf's, else python3 */
  python?: string;
}

export interface Output {
  write(text: string): unknown;
}

const EXIT_USAGE = 2;

export function register(program: Command): void {
  program
    .command('compile')
    .description(
      'check every template (.pt) and code module (.py) of a tree and write the generated .pty sources',
    )
    .argument('<src>', 'a template, a code module, or a folder (searched recursively)')
    .argument(
      '[dest]',
      'folder for the .pty files, mirroring the tree (default: beside each template)',
    )
    .option('--tags <names>', 'custom tag class names, comma-separated (e.g. Box,Menu)')
    .option('--stage <stage>', `print one stage of a single template instead: ${STAGES.join(', ')}`)
    .option(
      '--python <exe>',
      "the Python interpreter that checks the generated code (default: pse.conf's PythonExecutable, else python3)",
      process.env.PSE_PYTHON,
    )
    .action(
      async (
        src: string,
        dest: string | undefined,
        o: { tags?: string; stage?: string; python?: string },
      ) => {
        if (o.stage !== undefined && !(STAGES as readonly string[]).includes(o.stage)) {
          process.stderr.write(
            `pse compile: --stage must be one of ${STAGES.join(', ')}, not '${o.stage}'\n`,
          );
          process.exitCode = EXIT_USAGE;
          return;
        }
        const tags = (o.tags ?? '')
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        process.exitCode = await runCompile(
          { src, dest, tags, stage: o.stage as Stage | undefined, python: o.python },
          { out: process.stdout, err: process.stderr },
        );
      },
    );
}
/**
 * Runs the command; returns the exit status. Output goes to `io` (tests pass buffers). The
 * compiler and the engine load here, when the command runs, not when `pse` starts.
 */
export async function runCompile(
  opts: CompileCommandOptions,
  io: { out: Output; err: Output },
): Promise<number> {
  return (await import('./compile-run.js')).runCompile(opts, io);
}
