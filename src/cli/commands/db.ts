/** `pse db migrate [APP]`: create or upgrade the session store's schema now. */
import path from 'node:path';
import type { Command } from 'commander';
import { reportFailure } from '../report.js';

async function migrate(appRoot: string): Promise<number> {
  try {
    const { loadConfig, migrateSessionStore } = await import('../../engine/index.js');
    const config = await loadConfig(appRoot);
    process.stdout.write(`${await migrateSessionStore(config.session)}\n`);
    return 0;
  } catch (err) {
    return reportFailure(err, `cannot migrate the session store of ${appRoot}`);
  }
}

export function register(program: Command): void {
  const db = program.command('db').description("the application's session store");
  db.command('migrate')
    .description(
      'create or upgrade the session store schema ([plugins.session] Type = postgresql; `pse serve` does it at start unless --no-migrate)',
    )
    .argument('[app]', 'the application folder', '.')
    .action(async (app: string) => {
      process.exitCode = await migrate(path.resolve(app));
    });
}
