/** The PostgreSQL server the benchmarks put session stores on, each in a throwaway schema. */
export const PG_URL = process.env.PSE_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432/test';

export async function dropSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await c.end();
  }
}
