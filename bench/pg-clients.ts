/**
 * `pg` against `postgres` (postgres.js) on the session store's own statements: the read path
 * (one join: a session and its namespaces) and the write path (a transaction: bump the
 * session's version, upsert a namespace). Both with a pool of 4 connections, 32 requests in
 * flight, on 32 sessions of 2 namespaces (2 KiB pickles each), in a throwaway schema of
 * PGDATABASE (default `test` on 127.0.0.1:5432). Run: `npx tsx bench/pg-clients.ts`.
 * This is how the store's client was chosen (docs/performance.md).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import postgres from 'postgres';

const URL = process.env.PSE_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432/test';
const POOL = 4;
const IN_FLIGHT = 32;
const SESSIONS = 32;
const READS = Number(process.env.PSE_BENCH_PG_READS ?? 20_000);
const WRITES = Number(process.env.PSE_BENCH_PG_WRITES ?? 5_000);
const schema = `pse_bench_${randomBytes(4).toString('hex')}`;

const LOAD = `SELECT s.id, s.created::float8 AS created, s.version, n.name, n.pickle, n.preview, n.version AS nsv
  FROM ${schema}.s s LEFT JOIN ${schema}.ns n ON n.session = s.id WHERE s.id = $1`;
const BUMP = `UPDATE ${schema}.s SET version = version + 1 WHERE id = $1 RETURNING version`;
const UPSERT = `INSERT INTO ${schema}.ns (session, name, pickle, preview, version) VALUES ($1, $2, $3, $4, 1)
  ON CONFLICT (session, name) DO UPDATE SET pickle = excluded.pickle, preview = excluded.preview,
  version = ns.version + 1 RETURNING version`;

interface Client {
  name: string;
  load(id: string): Promise<unknown>;
  write(id: string, pickle: Buffer, preview: unknown): Promise<unknown>;
  end(): Promise<void>;
}

function pgClient(): Client {
  const pool = new pg.Pool({ connectionString: URL, max: POOL });
  return {
    name: 'pg 8',
    load: (id) => pool.query({ name: 'load', text: LOAD, values: [id] }),
    async write(id, pickle, preview) {
      const c = await pool.connect();
      try {
        await c.query('BEGIN');
        await c.query({ name: 'bump', text: BUMP, values: [id] });
        await c.query({ name: 'upsert', text: UPSERT, values: [id, 'x', pickle, preview] });
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK');
        throw err;
      } finally {
        c.release();
      }
    },
    end: () => pool.end(),
  };
}

function postgresClient(): Client {
  const sql = postgres(URL, { max: POOL, prepare: true, onnotice: () => undefined });
  return {
    name: 'postgres 3',
    load: (id) => sql.unsafe(LOAD, [id], { prepare: true }),
    write: (id, pickle, preview) =>
      sql.begin(async (tx) => {
        await tx.unsafe(BUMP, [id], { prepare: true });
        await tx.unsafe(UPSERT, [id, 'x', pickle, preview as postgres.JSONValue], {
          prepare: true,
        });
      }),
    end: () => sql.end(),
  };
}

async function run(total: number, one: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < total) await one(next++);
    }),
  );
  return (total / (performance.now() - t0)) * 1000;
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.s (id text PRIMARY KEY, created bigint NOT NULL, version integer NOT NULL);
    CREATE TABLE ${schema}.ns (session text NOT NULL REFERENCES ${schema}.s (id), name text NOT NULL,
      pickle bytea NOT NULL, preview jsonb NOT NULL, version integer NOT NULL, PRIMARY KEY (session, name));`);
  const pickle = randomBytes(2048);
  const preview = { t: 'dict', v: [['name', { t: 'str', v: 'Nick' }]] };
  const ids = Array.from({ length: SESSIONS }, (_, i) => `s${i}`.padEnd(43, 'x'));
  try {
    for (const id of ids) {
      await admin.query(`INSERT INTO ${schema}.s VALUES ($1, 0, 0)`, [id]);
      for (const name of ['', 'x'])
        await admin.query(`INSERT INTO ${schema}.ns VALUES ($1, $2, $3, $4, 1)`, [
          id,
          name,
          pickle,
          preview,
        ]);
    }
    console.log(
      `pool ${POOL}, ${IN_FLIGHT} in flight, ${SESSIONS} sessions; reads ${READS}, writes ${WRITES}`,
    );
    for (const make of [pgClient, postgresClient, pgClient, postgresClient]) {
      const c = make();
      try {
        await run(500, (i) => c.load(ids[i % SESSIONS]!)); // connect and prepare
        const reads = await run(READS, (i) => c.load(ids[i % SESSIONS]!));
        const writes = await run(WRITES, (i) => c.write(ids[i % SESSIONS]!, pickle, preview));
        console.log(
          `${c.name.padEnd(12)} read ${reads.toFixed(0).padStart(6)}/s   write (transaction) ${writes.toFixed(0).padStart(6)}/s`,
        );
      } finally {
        await c.end();
      }
    }
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

await main();
