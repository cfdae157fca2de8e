/** `pse db migrate [APP]`: create or upgrade the session store's schema now. */
import path from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../../engine/config/index.js';
import { reportFailure } from '../report.js';

async function migrate(appRoot: string): Promise<number> {
  try {
    const config = await loadConfig(appRoot);
    if (config.session.type !== 'postgresql') {
      // the embedded SQLite store upgrades its file whenever it is opened
      const { SqliteSessionStore, SCHEMA_VERSION } = await import(
        '../../engine/session/sqlite-store.js'
      );
      await new SqliteSessionStore({ file: config.session.file }).close();
      process.stdout.write(`${config.session.file}: schema version ${SCHEMA_VERSION}\n`);
      return 0;
    }
    const { migratePgStore } = await import('../../engine/session/pg-migrate.js');
    const r = await migratePgStore(config.session);
    process.stdout.write(
      r.from === r.to
        ? `${r.where}: schema version ${r.to}, up to date\n`
        : `${r.where}: schema version ${r.from} → ${r.to}\n`,
    );
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
