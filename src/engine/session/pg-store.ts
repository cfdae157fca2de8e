/**
 * The PostgreSQL session store: sessions shared by every process (and machine) that names the
 * same database and table. Same contract as the SQLite store (store.contract tests run on
 * both); no cache, since other processes write too. A commit is one statement (or, for a new
 * session whose id is taken, one transaction) that moves the session's version on only from the
 * version the change is based on, so a change based on an older version fails with
 * SessionConflictError whatever the locks did.
 *
 * Client: `pg` (node-postgres), with a pool of a few connections for statements and one more
 * connection for the cross-process session locks (pg-lock.ts). Measured against postgres.js on
 * these very statements (bench/pg-clients.ts): docs/performance.md.
 */
import pg from 'pg';
import type {
  Page,
  PreviewValue,
  SessionListQuery,
  SessionSummary,
  SessionView,
} from '../../common/types/session.js';
import { describePgTarget, type PgTarget } from '../config/pg-target.js';
import {
  hearCheckedOutErrors,
  openError,
  pgClientConfig,
  PgHealth,
  type StoreLog,
} from './pg-connection.js';
import {
  changeStatement,
  createStatement,
  type Changed,
  type ChangeRow,
  type NewSession,
  type SessionChange,
} from './pg-commit-statements.js';
import { PgGroupCommit } from './pg-group-commit.js';
import { cachedBytes, sessionOfRows, loadSql, type LoadRow } from './pg-load.js';
import { lockLoadFunction, PgSessionLocks } from './pg-lock.js';
import { checkPgSchema, migratePg, pgTables, type PgTables } from './pg-schema.js';
import { SessionCache } from './session-cache.js';
import {
  SessionConflictError,
  SessionStoreError,
  type CommitResult,
  type SessionCommit,
  type SessionStore,
  type StoredSession,
} from './store.js';

export interface PgStoreOptions {
  /** the database; null = the PG* environment variables */
  target: PgTarget | null;
  /** the sessions table, as pse.conf's `Table` (schema-qualified or not) */
  table: string;
  /** create or upgrade the schema at open (default true); false: it must be current already */
  migrate?: boolean;
  /** connections for statements (default 4; the lock connection comes on top) */
  poolSize?: number;
  /** lost and regained connections (default: stderr) */
  log?: StoreLog;
}

interface SessionRow {
  id: string;
  created: number;
  accessed: number;
  expires: number;
  version: number;
}

/** Bytes of pickles kept in memory at most (the sessions of this process's leases). */
const CACHE_BYTES = 64 * 1024 * 1024;

const TIMES =
  'created::float8 AS created, accessed::float8 AS accessed, expires::float8 AS expires';

export class PgSessionStore implements SessionStore {
  readonly kind = 'postgresql';
  /** `postgresql://user@host:port/db`, for messages (no password) */
  readonly where: string;
  /** the cross-process session lock of this store's database (SessionManager takes it) */
  readonly lock: PgSessionLocks;
  private readonly t: PgTables;
  private readonly q;
  /**
   * Sessions read under a lock this process still holds (pg-lock.ts: its leases), with this
   * process's writes to them written through; read only by a takeover of such a lock.
   */
  private readonly cache = new SessionCache(CACHE_BYTES);
  private readonly creates: PgGroupCommit<NewSession, { id: string }, boolean>;
  private readonly changes: PgGroupCommit<SessionChange, ChangeRow, Changed | null>;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly health: PgHealth,
    config: pg.ClientConfig,
    table: string,
  ) {
    this.where = health.where;
    this.t = pgTables(table);
    this.lock = new PgSessionLocks(config, this.t, health, this.cache);
    const run = async <R extends pg.QueryResultRow>(name: string, text: string, v: unknown[]) =>
      (await this.query<R>(name, text, v)).rows;
    this.creates = new PgGroupCommit(createStatement(this.t), (text, v) =>
      run<{ id: string }>('pse_create', text, v),
    );
    this.changes = new PgGroupCommit(changeStatement(this.t), (text, v) =>
      run<ChangeRow>('pse_change', text, v),
    );
    const { sessions, ns } = this.t;
    this.q = {
      load: loadSql(this.t),
      session: `SELECT id, ${TIMES}, version FROM ${sessions} WHERE id = $1`,
      bump: `UPDATE ${sessions} SET accessed = $2, expires = $3, version = version + 1
             WHERE id = $1 AND expires > $2 RETURNING version`,
      dropExpired: `DELETE FROM ${sessions} WHERE id = $1 AND expires <= $2`,
      insert: `INSERT INTO ${sessions} (id, created, accessed, expires, version)
               VALUES ($1, $2, $2, $3, 1) ON CONFLICT (id) DO NOTHING RETURNING version`,
      liveVersion: `SELECT version FROM ${sessions} WHERE id = $1 AND expires > $2`,
      deleteNs: `DELETE FROM ${ns} WHERE session = $1 AND name = ANY ($2::text[])`,
      upsert: `INSERT INTO ${ns} AS n (session, name, pickle, preview, version)
               SELECT $1, u.name, u.pickle, u.preview::jsonb, 1
               FROM unnest($2::text[], $3::bytea[], $4::text[]) AS u (name, pickle, preview)
               ON CONFLICT (session, name) DO UPDATE SET pickle = excluded.pickle,
                 preview = excluded.preview, version = n.version + 1
               RETURNING name, version`,
      touch: `UPDATE ${sessions} SET accessed = $2, expires = $3 WHERE id = $1`,
      rename: `UPDATE ${sessions} SET id = $2, accessed = $3, expires = $4, version = version + 1
               WHERE id = $1`,
      delete: `DELETE FROM ${sessions} WHERE id = $1 AND ($2::integer IS NULL OR version = $2)`,
      version: `SELECT version FROM ${sessions} WHERE id = $1`,
      sweep: `DELETE FROM ${sessions} WHERE expires <= $1 RETURNING id`,
      nsMeta: `SELECT name, length(pickle) AS size, preview, version FROM ${ns}
               WHERE session = $1 ORDER BY name`,
    };
  }

  /**
   * Connects, then creates or upgrades the schema (or checks it, with `migrate: false`). A
   * wrong or unreachable database fails here, naming host and database.
   */
  static async open(o: PgStoreOptions): Promise<PgSessionStore> {
    const config = pgClientConfig(o.target);
    const where = describePgTarget(o.target);
    const log: StoreLog = o.log ?? ((_level, text) => process.stderr.write(`pse: ${text}\n`));
    const health = new PgHealth(where, log);
    const pool = hearCheckedOutErrors(
      new pg.Pool({ ...config, max: o.poolSize ?? 4, idleTimeoutMillis: 30_000 }),
    );
    // A pooled connection lost while idle (the server restarted): the pool drops it; the next
    // statement opens a new one. Without a listener it would crash the process.
    pool.on('error', (err) => health.failed(err));
    try {
      const c = await pool.connect();
      try {
        if (o.migrate === false) await checkPgSchema(c, o.table);
        else await migratePg(c, o.table);
        await checkTemporaryFunction(c, pgTables(o.table));
      } finally {
        c.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw openError(o.target, err);
    }
    return new PgSessionStore(pool, health, config, o.table);
  }

  private async query<R extends pg.QueryResultRow>(
    name: string,
    text: string,
    values: unknown[],
    client: pg.Pool | pg.PoolClient = this.pool,
  ): Promise<pg.QueryResult<R>> {
    try {
      const r = await client.query<R>({ name, text, values });
      this.health.ok();
      return r;
    } catch (err) {
      throw this.health.failed(err);
    }
  }

  /** One statement (a join) for the session and its namespaces: the read path of every request. */
  async load(id: string, now: number): Promise<StoredSession | null> {
    const { rows } = await this.query<LoadRow>('pse_load', this.q.load, [id]);
    return sessionOfRows(rows, now);
  }

  /**
   * One statement when it can decide alone (nearly always), shared with the commits of other
   * sessions asked for at the same moment (pg-group-commit.ts): every statement of a
   * transaction is a round trip, and BEGIN, the statements and COMMIT were five of them for a
   * new session, each commit with a WAL flush of its own. A new session whose id is taken (by an
   * expired row, to be replaced, or a live one: a conflict) goes through the transaction below,
   * which tells the two apart.
   */
  async commit(c: SessionCommit): Promise<CommitResult> {
    let r: CommitResult;
    try {
      r = await this.commitNow(c);
    } catch (err) {
      this.cache.delete(c.id); // written or not: the next request reads it
      throw err;
    }
    this.cache.commit(c, c.create ? c.now : null, r, (_name, v) => cachedBytes(v.pickle));
    return r;
  }

  private async commitNow(c: SessionCommit): Promise<CommitResult> {
    const names = [...c.upsert.keys()];
    if (!names.some((n) => c.delete.includes(n))) {
      const pickles: Buffer[] = [];
      const previews: string[] = [];
      for (const v of c.upsert.values()) {
        pickles.push(v.pickle);
        previews.push(previewJson(v.preview));
      }
      const common = { id: c.id, now: c.now, expires: c.expires, names, pickles, previews };
      if (c.create && c.expectVersion === undefined && c.delete.length === 0) {
        if (await this.creates.submit(common))
          return { version: 1, versions: new Map(names.map((n) => [n, 1])) };
      } else if (!c.create) {
        const changed = await this.changes.submit({
          ...common,
          expect: c.expectVersion ?? null,
          deleted: c.delete,
        });
        if (changed) return changed;
        // nothing was written: the session is gone, expired or at another version
        const live = await this.query<{ version: number }>('pse_live_version', this.q.liveVersion, [
          c.id,
          c.now,
        ]);
        throw new SessionConflictError(c.id, c.expectVersion ?? 0, live.rows[0]?.version ?? null);
      }
    }
    return this.transaction(async (tx) => {
      let version: number;
      if (c.create && c.expectVersion === undefined) {
        // An expired row with this id is dead data: it is replaced, never revived.
        await this.query('pse_drop_expired', this.q.dropExpired, [c.id, c.now], tx);
        const ins = await this.query<{ version: number }>(
          'pse_insert',
          this.q.insert,
          [c.id, c.now, c.expires],
          tx,
        );
        if (!ins.rows[0]) {
          const live = await this.query<{ version: number }>(
            'pse_live_version',
            this.q.liveVersion,
            [c.id, c.now],
            tx,
          );
          throw new SessionConflictError(c.id, 0, live.rows[0]?.version ?? null);
        }
        version = 1;
      } else {
        // The version moves on first: the row stays locked to this transaction until it ends.
        const up = await this.query<{ version: number }>(
          'pse_bump',
          this.q.bump,
          [c.id, c.now, c.expires],
          tx,
        );
        const after = up.rows[0]?.version;
        if (after === undefined) throw new SessionConflictError(c.id, c.expectVersion ?? 0, null);
        const before = after - 1;
        if (c.expectVersion !== undefined && before !== c.expectVersion)
          throw new SessionConflictError(c.id, c.expectVersion, before);
        if (c.create) throw new SessionConflictError(c.id, 0, before);
        version = after;
      }
      if (c.delete.length) await this.query('pse_delete_ns', this.q.deleteNs, [c.id, c.delete], tx);
      const versions = new Map<string, number>();
      if (c.upsert.size) {
        const names: string[] = [];
        const pickles: Buffer[] = [];
        const previews: string[] = [];
        for (const [name, v] of c.upsert) {
          names.push(name);
          pickles.push(v.pickle);
          previews.push(previewJson(v.preview));
        }
        const r = await this.query<{ name: string; version: number }>(
          'pse_upsert',
          this.q.upsert,
          [c.id, names, pickles, previews],
          tx,
        );
        for (const row of r.rows) versions.set(row.name, row.version);
      }
      return { version, versions };
    });
  }

  async touch(id: string, now: number, expires: number): Promise<boolean> {
    let r: pg.QueryResult;
    try {
      r = await this.query('pse_touch', this.q.touch, [id, now, expires]);
    } catch (err) {
      this.cache.delete(id);
      throw err;
    }
    const kept = this.cache.peek(id);
    if (kept) {
      if (r.rowCount) this.cache.replace(id, { ...kept.session, accessed: now, expires });
      else this.cache.delete(id);
    }
    return (r.rowCount ?? 0) > 0;
  }

  async rename(oldId: string, newId: string, now: number, expires: number): Promise<void> {
    this.cache.delete(oldId);
    this.cache.delete(newId);
    const r = await this.query('pse_rename', this.q.rename, [oldId, newId, now, expires]);
    if (!r.rowCount)
      throw new SessionStoreError(`session ${oldId}: cannot regenerate, it does not exist`, oldId);
  }

  async delete(id: string, expectVersion?: number): Promise<boolean> {
    this.cache.delete(id);
    const r = await this.query('pse_delete', this.q.delete, [id, expectVersion ?? null]);
    if (r.rowCount) return true;
    if (expectVersion === undefined) return false;
    const now = await this.query<{ version: number }>('pse_version', this.q.version, [id]);
    throw new SessionConflictError(id, expectVersion, now.rows[0]?.version ?? null);
  }

  async sweep(now: number): Promise<number> {
    // What it deleted leaves the memory by id (a look at every kept session cost ~2 ms per
    // 60,000); an expired one another process swept is never served (loads check the expiry)
    // and goes with the oldest.
    const gone = await this.query<{ id: string }>('pse_sweep', this.q.sweep, [now]);
    for (const { id } of gone.rows) this.cache.delete(id);
    return gone.rows.length;
  }

  async list(query: SessionListQuery, now: number): Promise<Page<SessionSummary>> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const offset = Math.max(query.offset ?? 0, 0);
    const { sessions, ns } = this.t;
    const values: unknown[] = [now];
    const where = ['s.expires > $1'];
    if (query.id) {
      values.push(`%${likeEscape(query.id)}%`);
      where.push(`s.id LIKE $${values.length}`);
    }
    if (query.namespace !== undefined) {
      values.push(query.namespace);
      where.push(
        `EXISTS (SELECT 1 FROM ${ns} n WHERE n.session = s.id AND n.name = $${values.length})`,
      );
    }
    if (query.key !== undefined) {
      // containment: a dict preview with a [key, …] pair; answered by the jsonb_path_ops index
      values.push(JSON.stringify({ t: 'dict', v: [[query.key]] }));
      where.push(
        `EXISTS (SELECT 1 FROM ${ns} n WHERE n.session = s.id AND n.preview @> $${values.length}::jsonb)`,
      );
    }
    if (query.text) {
      values.push(`%${likeEscape(query.text)}%`);
      where.push(
        `EXISTS (SELECT 1 FROM ${ns} n WHERE n.session = s.id AND n.preview::text ILIKE $${values.length})`,
      );
    }
    const cond = where.join(' AND ');
    const total = await this.query<{ n: string }>(
      '',
      `SELECT count(*) AS n FROM ${sessions} s WHERE ${cond}`,
      values,
    );
    const rows = await this.query<SessionRow & { names: string[] }>(
      '',
      `SELECT s.id, s.created::float8 AS created, s.accessed::float8 AS accessed,
              s.expires::float8 AS expires, s.version,
              ARRAY(SELECT name FROM ${ns} WHERE session = s.id ORDER BY name) AS names
       FROM ${sessions} s WHERE ${cond} ORDER BY s.accessed DESC, s.id LIMIT ${limit} OFFSET ${offset}`,
      values,
    );
    return {
      items: rows.rows.map(({ names, ...r }) => ({ ...r, namespaces: names })),
      total: Number(total.rows[0]!.n),
      offset,
      limit,
    };
  }

  async view(id: string, now: number): Promise<SessionView | null> {
    const s = await this.query<SessionRow>('pse_session', this.q.session, [id]);
    const row = s.rows[0];
    if (!row || row.expires <= now) return null;
    const r = await this.query<{
      name: string;
      size: number;
      preview: PreviewValue;
      version: number;
    }>('pse_ns_meta', this.q.nsMeta, [id]);
    const ns = r.rows.map((n) => ({
      name: n.name,
      version: n.version,
      size: n.size,
      preview: n.preview,
    }));
    return { ...row, namespaces: ns.map((n) => n.name), namespaceViews: ns };
  }

  async close(): Promise<void> {
    // commits asked for before close() are written first
    await this.creates.idle();
    await this.changes.idle();
    this.health.close();
    await this.lock.close();
    await this.pool.end().catch(() => undefined);
  }

  /** `fn` in one transaction on one pooled connection; rolled back when it throws. */
  private async transaction<T>(fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> {
    let tx: pg.PoolClient;
    try {
      tx = await this.pool.connect();
    } catch (err) {
      throw this.health.failed(err);
    }
    let broken: unknown = null;
    try {
      await this.query('', 'BEGIN', [], tx);
      const out = await fn(tx);
      await this.query('', 'COMMIT', [], tx);
      return out;
    } catch (err) {
      await tx.query('ROLLBACK').catch((e: unknown) => (broken = e));
      throw err;
    } finally {
      // a connection that failed mid-transaction is not given back to the pool
      tx.release(broken instanceof Error ? broken : undefined);
    }
  }
}

/**
 * A preview as jsonb text. jsonb holds no NUL character: a str preview that contains one shows
 * it as ␀ (previews are for display; the pickle keeps the value itself).
 */
function previewJson(p: PreviewValue): string {
  return JSON.stringify(p).replaceAll('\\u0000', '\u2400');
}

function likeEscape(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The lock connection creates its function in `pg_temp`; a role without the database's
 * TEMPORARY privilege could then lock no session. Said at start, not by every request.
 */
async function checkTemporaryFunction(c: pg.PoolClient, t: PgTables): Promise<void> {
  try {
    await c.query(lockLoadFunction(t));
    await c.query('DROP FUNCTION pg_temp.pse_lock_load(integer, integer, text, integer[])');
  } catch (err) {
    if ((err as { code?: string }).code !== '42501') throw err;
    throw new Error(
      `${err instanceof Error ? err.message : String(err)}: PSE's session lock needs a temporary function; grant the role TEMPORARY on the database (GRANT TEMPORARY ON DATABASE … TO …)`,
      { cause: err },
    );
  }
}
