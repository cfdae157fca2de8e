/**
 * `pse db migrate` and the start of `pse serve` on a PostgreSQL store: the schema made by PSE,
 * `--no-migrate`, and a wrong or unreachable database as a clear error (exit 1, no password).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPse, type Ran } from './helpers/run-pse.js';
import { sql, TEST_PG_URL, testSchema } from '../helpers/pg.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const schema = testSchema();
let app: string;

function pse(args: string[]): Promise<Ran> {
  return runPse(['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts')], args, {
    cwd: ROOT,
    timeoutMs: 90_000,
  });
}

function conf(database: string, table = schema.table()): void {
  fs.writeFileSync(
    path.join(app, 'pse.conf'),
    `[plugins.session]\nType = postgresql\nDatabase = ${database}\nTable = ${table}\n`,
  );
}

beforeAll(() => {
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'pse-db-cli-'));
  fs.writeFileSync(path.join(app, 'index.pt'), 'hi');
});
afterAll(async () => {
  await schema.drop();
  fs.rmSync(app, { recursive: true, force: true });
});

describe('pse db migrate and the start of pse serve on PostgreSQL', () => {
  it('--no-migrate refuses a database without the schema, naming the command to run', async () => {
    conf(TEST_PG_URL);
    const r = await pse(['serve', app, '--port', '0', '--no-migrate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`table ${schema.table()} has schema version 0`);
    expect(r.stderr).toContain('pse db migrate APP');
  });

  it('creates the schema, then finds it up to date', { timeout: 120_000 }, async () => {
    conf(TEST_PG_URL);
    const first = await pse(['db', 'migrate', app]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain(`table ${schema.table()}: schema version 0 → 2`);
    const again = await pse(['db', 'migrate', app]);
    expect(again.stdout).toContain('schema version 2, up to date');
    const tables = await sql<{ t: string }>(
      `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
      [schema.schema],
    );
    expect(tables.map((r) => r.t)).toEqual([
      'pse_session',
      'pse_session_journal',
      'pse_session_journal_pickles',
      'pse_session_ns',
      'pse_session_schema',
    ]);
    const cols = await sql<{ c: string; t: string }>(
      `SELECT column_name AS c, data_type AS t FROM information_schema.columns
       WHERE table_schema = $1 AND table_name = 'pse_session_ns' ORDER BY 1`,
      [schema.schema],
    );
    expect(cols).toContainEqual({ c: 'pickle', t: 'bytea' });
    expect(cols).toContainEqual({ c: 'preview', t: 'jsonb' });
  });

  it('a wrong database: exit 1, naming host and database, never the password', async () => {
    conf('postgresql://postgres:hunter2@127.0.0.1:5432/pse_no_such_db');
    const r = await pse(['serve', app, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'session store postgresql://postgres@127.0.0.1:5432/pse_no_such_db: cannot open: database "pse_no_such_db" does not exist',
    );
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    const m = await pse(['db', 'migrate', app]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('pse_no_such_db');
  });

  it('an unreachable server: exit 1, naming it', async () => {
    // port 1: nothing listens there
    conf("host=127.0.0.1 port=1 dbname=pse user=web password='hunter2'");
    const r = await pse(['serve', app, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'session store postgresql://web@127.0.0.1:1/pse: cannot open: connection refused',
    );
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });
});
