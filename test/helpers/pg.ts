/**
 * PostgreSQL for tests: the shared development server (127.0.0.1:5432, trust authentication,
 * database `test`; PSE_TEST_PG overrides), with one throwaway schema per test file, dropped
 * afterwards, so that runs never see each other's sessions.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { parsePgTarget, type PgTarget } from '../../src/engine/config/pg-target.js';

export const TEST_PG_URL = process.env.PSE_TEST_PG ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const TEST_PG: PgTarget = parsePgTarget(TEST_PG_URL);

export interface TestSchema {
  /** `pse_test_<random>` */
  schema: string;
  /** a sessions table in it, for pse.conf's Table */
  table(name?: string): string;
  drop(): Promise<void>;
}

export function testSchema(): TestSchema {
  const schema = `pse_test_${randomBytes(5).toString('hex')}`;
  return {
    schema,
    table: (name = 'pse_session') => `${schema}.${name}`,
    drop: () => sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).then(() => undefined),
  };
}

/** One statement on a connection of its own. */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
  url = TEST_PG_URL,
): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
