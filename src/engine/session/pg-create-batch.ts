/**
 * Group commit of new sessions for the PostgreSQL store. Each statement PostgreSQL commits
 * waits for its WAL to be flushed to disk, and a pooled connection takes one statement at a
 * time, so one statement per new session made the flushes, not the work, the limit of the
 * write path. New sessions are created here by one statement per group instead: while one
 * group's statement runs, the sessions asked for meanwhile wait and go together as the next
 * group, so a busy process creates many sessions per flush and an idle one waits for nothing.
 *
 * A session whose id is taken is left out of its group (the statement inserts with ON CONFLICT
 * DO NOTHING) and reported as taken: the store then tells an expired row, to be replaced, from
 * a live one, a conflict. A group whose statement fails is tried again one session at a time,
 * so that a failure belongs to the session that caused it.
 */
import type { PgTables } from './pg-schema.js';

/** One new session: the values of its row and of its namespaces' rows. */
export interface NewSession {
  id: string;
  now: number;
  expires: number;
  names: string[];
  pickles: Buffer[];
  /** jsonb text, one per name */
  previews: string[];
}

/** Runs `sql` with `values`; its rows are the ids it inserted. */
export type RunCreate = (sql: string, values: unknown[]) => Promise<{ id: string }[]>;

interface Pending {
  s: NewSession;
  resolve: (created: boolean) => void;
  reject: (err: unknown) => void;
}

/** Sessions in one statement at most (a longer queue goes in several). */
const MAX_GROUP = 256;

export function createSql(t: PgTables): string {
  return `WITH s AS (
      INSERT INTO ${t.sessions} (id, created, accessed, expires, version)
      SELECT i.id, i.now, i.now, i.expires, 1
      FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS i (id, now, expires)
      ON CONFLICT (id) DO NOTHING RETURNING id
    ), n AS (
      INSERT INTO ${t.ns} (session, name, pickle, preview, version)
      SELECT u.session, u.name, u.pickle, u.preview::jsonb, 1
      FROM unnest($4::text[], $5::text[], $6::bytea[], $7::text[]) AS u (session, name, pickle, preview)
      WHERE u.session IN (SELECT id FROM s)
    )
    SELECT id FROM s`;
}

export class PgCreateBatch {
  private queue: Pending[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly sql: string,
    private readonly run: RunCreate,
  ) {}

  /** Creates `s`: true once committed, false when its id is taken (nothing was written). */
  create(s: NewSession): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ s, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Settles once every session asked for so far is created or failed (for close()). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // The first group waits for the sessions asked for in the rest of this turn.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.queue.length === 0) {
        // no await between the look and this: a session asked for later starts a new drain
        this.running = null;
        return;
      }
      const group = this.take();
      try {
        await this.runGroup(group);
      } catch (err) {
        if (group.length === 1) group[0]!.reject(err);
        else for (const p of group) await this.runGroup([p]).catch(p.reject);
      }
    }
  }

  /** The next group: queued sessions in order, an id already in the group left for the next. */
  private take(): Pending[] {
    const group: Pending[] = [];
    const ids = new Set<string>();
    const rest: Pending[] = [];
    for (const p of this.queue) {
      if (group.length < MAX_GROUP && !ids.has(p.s.id)) {
        ids.add(p.s.id);
        group.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    return group;
  }

  /** One statement for `group`; settles each of its sessions (throws when the statement fails). */
  private async runGroup(group: Pending[]): Promise<void> {
    const ids: string[] = [];
    const nows: number[] = [];
    const expires: number[] = [];
    const nsSessions: string[] = [];
    const names: string[] = [];
    const pickles: Buffer[] = [];
    const previews: string[] = [];
    for (const { s } of group) {
      ids.push(s.id);
      nows.push(s.now);
      expires.push(s.expires);
      for (let i = 0; i < s.names.length; i++) {
        nsSessions.push(s.id);
        names.push(s.names[i]!);
        pickles.push(s.pickles[i]!);
        previews.push(s.previews[i]!);
      }
    }
    const rows = await this.run(this.sql, [
      ids,
      nows,
      expires,
      nsSessions,
      names,
      pickles,
      previews,
    ]);
    const created = new Set(rows.map((r) => r.id));
    for (const p of group) p.resolve(created.has(p.s.id));
  }
}
