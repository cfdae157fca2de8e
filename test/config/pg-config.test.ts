/** [plugins.session] for a PostgreSQL store: Type, Database / DSN, Table; located errors. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/engine/config/index.js';
import { describePgTarget, parsePgTarget } from '../../src/engine/config/pg-target.js';

const ROOT = path.resolve('/tmp/pse-app');

function session(lines: string[]) {
  return parseConfig(['[plugins.session]', ...lines].join('\n'), ROOT).session;
}

function issuesOf(lines: string[]): { line: number; col: number; message: string }[] {
  try {
    session(lines);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(({ line, col, message }) => ({ line, col, message }));
  }
  throw new Error('expected a ConfigError');
}

describe('[plugins.session] on PostgreSQL', () => {
  it('takes a URL, with Table defaulting to pse_session', () => {
    const s = session(['Type = postgresql', 'Database = postgresql://web:s3cret@db1:6432/pse']);
    expect(s.type).toBe('postgresql');
    expect(s.table).toBe('pse_session');
    expect(s.database).toEqual({
      host: 'db1',
      port: 6432,
      database: 'pse',
      user: 'web',
      password: 's3cret',
    });
  });

  it("takes PSE 3's spelling: Type = psycopg, DSN = a libpq string, Table", () => {
    const s = session([
      'Type = psycopg',
      "DSN = dbname=pse host=/run/postgresql user=web password='it\\'s quoted' sslmode=require",
      'Table = web.sessions',
    ]);
    expect(s.type).toBe('postgresql');
    expect(s.table).toBe('web.sessions');
    expect(s.database).toMatchObject({
      database: 'pse',
      host: '/run/postgresql',
      user: 'web',
      password: "it's quoted",
      sslmode: 'require',
    });
  });

  it('leaves the database to the PG* environment when none is named', () => {
    expect(session(['Type = postgresql']).database).toBeNull();
    const env = { PGHOST: 'envhost', PGPORT: '5433', PGDATABASE: 'envdb', PGUSER: 'envuser' };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      expect(describePgTarget(null)).toBe('postgresql://envuser@envhost:5433/envdb');
      expect(describePgTarget(parsePgTarget('dbname=other'))).toBe(
        'postgresql://envuser@envhost:5433/other',
      );
    } finally {
      for (const k of Object.keys(env)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });

  it('never shows the password when it names the database', () => {
    const t = parsePgTarget('postgresql://web:s3cret@db1/pse');
    expect(describePgTarget(t)).toBe('postgresql://web@db1:5432/pse');
    expect(() => parsePgTarget('postgresql://web:s3cret@db1:99999/pse')).toThrow(/^(?!.*s3cret)/);
  });

  it('locates each mistake: bad strings, bad tables, options of the other store type', () => {
    expect(
      issuesOf([
        'Type = postgresql',
        'DSN = dbname=pse hots=db1',
        'Table = pse-session',
        'File = sessions.sqlite',
      ]),
    ).toEqual([
      {
        line: 3,
        col: 7,
        message: expect.stringContaining("DSN: unknown connection parameter 'hots'"),
      },
      { line: 4, col: 9, message: expect.stringContaining("Table: 'pse-session' is not a table") },
      {
        line: 5,
        col: 1,
        message: 'File applies to Type = sqlite, and this store is Type = postgresql',
      },
    ]);
    expect(issuesOf(['Database = postgresql://db1/pse', 'Table = t'])).toEqual([
      {
        line: 2,
        col: 1,
        message: expect.stringContaining('Database applies to Type = postgresql'),
      },
      { line: 3, col: 1, message: expect.stringContaining('Table applies to Type = postgresql') },
    ]);
    expect(
      issuesOf(['Type = postgresql', 'Database = postgresql://db1/a', 'DSN = dbname=b']),
    ).toEqual([{ line: 4, col: 1, message: expect.stringContaining('name the same thing') }]);
    expect(issuesOf(['Type = mysql'])[0]!.message).toBe(
      "Type: expected sqlite or postgresql, found 'mysql'",
    );
    expect(issuesOf(['Type = postgresql', 'Database = port=x'])[0]!.message).toContain(
      "port: expected a number from 1 to 65535, found 'x'",
    );
  });
});
