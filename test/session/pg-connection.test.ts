/**
 * A pooled connection lost while it is checked out (a transaction under way when the server
 * stops) fails its statement, not the process.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { hearCheckedOutErrors } from '../../src/engine/session/pg-connection.js';
import { sql, TEST_PG_URL } from '../helpers/pg.js';

describe('a checked-out connection', () => {
  const pool = hearCheckedOutErrors(new pg.Pool({ connectionString: TEST_PG_URL, max: 1 }));
  afterAll(() => pool.end());

  it('lost mid-transaction: the next statement fails, nothing is thrown at the process', async () => {
    const c = await pool.connect();
    await c.query('BEGIN');
    const { pid } = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!;
    const ended = new Promise((r) => c.once('end', r));
    await sql('SELECT pg_terminate_backend($1)', [pid]);
    await ended;
    await expect(c.query('SELECT 1')).rejects.toThrow();
    c.release(true);
    // the pool opens a new connection for the next one
    const next = await pool.connect();
    expect((await next.query<{ n: number }>('SELECT 1 AS n')).rows[0]!.n).toBe(1);
    next.release();
  });
});
