/**
 * `pse db migrate APP` for a PostgreSQL store: connect, bring the schema to this build's
 * version, say what was done. (A server does the same at start unless `--no-migrate`.)
 */
import pg from 'pg';
import { describePgTarget } from '../config/pg-target.js';
import type { SessionConfig } from '../config/types.js';
import { openError, pgClientConfig } from './pg-connection.js';
import { migratePg } from './pg-schema.js';

export interface MigrateOutcome {
  /** `postgresql://user@host:port/db table t` */
  where: string;
  from: number;
  to: number;
}

export async function migratePgStore(session: SessionConfig): Promise<MigrateOutcome> {
  const c = new pg.Client(pgClientConfig(session.database));
  c.on('error', () => undefined); // a lost connection fails the statement, which says so
  try {
    await c.connect();
    const { from, to } = await migratePg(c, session.table);
    return { where: `${describePgTarget(session.database)} table ${session.table}`, from, to };
  } catch (err) {
    throw openError(session.database, err);
  } finally {
    await c.end().catch(() => undefined);
  }
}
