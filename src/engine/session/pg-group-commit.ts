/**
 * Group commit for the PostgreSQL store. Each statement PostgreSQL commits waits for its WAL
 * to be flushed to disk, and a pooled connection takes one statement at a time, so one
 * statement per commit made the flushes, not the work, the limit of the write path. Commits of
 * different sessions go here in groups, one statement per group: while one group's statement
 * runs, the commits asked for meanwhile wait and go together as the next group, so a busy
 * process pays one flush for many and an idle one waits for nothing but the end of its turn.
 *
 * A group holds each session once (a second commit of the same session, which its lock keeps
 * from happening, would wait for the next group). A group whose statement fails is tried again
 * one commit at a time, so that a failure belongs to the commit that caused it.
 */

/** Runs one group's statement: its text and values, and the rows it returned. */
export type RunStatement<Row> = (sql: string, values: unknown[]) => Promise<Row[]>;

/** What a kind of commit puts in its statement, and what each commit gets back from it. */
export interface GroupStatement<Item extends { id: string }, Row, Result> {
  sql: string;
  values(group: readonly Item[]): unknown[];
  /** the result of each commit of the group, in the group's order, from the statement's rows */
  results(group: readonly Item[], rows: readonly Row[]): Result[];
}

interface Pending<Item, Result> {
  item: Item;
  resolve: (r: Result) => void;
  reject: (err: unknown) => void;
}

/** Commits in one statement at most (a longer queue goes in several). */
const MAX_GROUP = 256;

export class PgGroupCommit<Item extends { id: string }, Row, Result> {
  private queue: Pending<Item, Result>[] = [];
  private running: Promise<void> | null = null;

  constructor(
    private readonly statement: GroupStatement<Item, Row, Result>,
    private readonly run: RunStatement<Row>,
  ) {}

  /** Settles with the item's result once its group's statement has committed. */
  submit(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.running ??= this.drain();
    });
  }

  /** Settles once every commit asked for so far has committed or failed (for close()). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    // The first group waits for the commits asked for in the rest of this turn.
    await new Promise((resolve) => setImmediate(resolve));
    for (;;) {
      if (this.queue.length === 0) {
        // no await between the look and this: a commit asked for later starts a new drain
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

  /** The next group: queued commits in order, a session already in it left for the next. */
  private take(): Pending<Item, Result>[] {
    const group: Pending<Item, Result>[] = [];
    const ids = new Set<string>();
    const rest: Pending<Item, Result>[] = [];
    for (const p of this.queue) {
      if (group.length < MAX_GROUP && !ids.has(p.item.id)) {
        ids.add(p.item.id);
        group.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    return group;
  }

  /** One statement for `group`; settles each of its commits (throws when the statement fails). */
  private async runGroup(group: Pending<Item, Result>[]): Promise<void> {
    const items = group.map((p) => p.item);
    const rows = await this.run(this.statement.sql, this.statement.values(items));
    const results = this.statement.results(items, rows);
    for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!);
  }
}
