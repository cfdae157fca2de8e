/**
 * The admin API over sessions and the journal: typed, plain async methods that Studio calls.
 *
 * Every change takes the session's lock (so it never interleaves with a request of that
 * session), carries the session version it was based on, fails with SessionConflictError if
 * the session changed meanwhile, and is journaled with outcome `edited`. Values are edited in
 * Python (`pse/_admin.py`, literals only) through the worker pool.
 */
import { recordEdit } from '../journal/record.js';
import { newSessionId } from '../session/ids.js';
import type { JournalEntry, JournalQuery, NamespaceChange } from '../../common/types/journal.js';
import type {
  Page,
  SessionListQuery,
  SessionSummary,
  SessionView,
  PreviewValue,
} from '../../common/types/session.js';
import { namespacesAt, sessionHistory } from '../journal/history.js';
import type { PicklePhase, RequestJournal } from '../journal/journal.js';
import type { AdminMsg } from '../runtime/protocol.js';
import { namespaceChange } from '../session/diff.js';
import type { SessionEvents } from '../session/events.js';
import type { SessionManager } from '../session/manager.js';
import { isNamespaceName, SessionConflictError, type StoredSession } from '../session/store.js';

/** What the admin API needs of the worker pool (WorkerPool.admin fits). */
export interface PickleEditor {
  admin(req: {
    op: AdminMsg['op'];
    key?: string;
    literal?: string;
    pickle?: Buffer;
    from?: Buffer;
  }): Promise<{
    ok: boolean;
    error?: { message: string; line?: number; col?: number };
    pickle?: Buffer;
    preview?: PreviewValue;
  }>;
}

/** A bad admin request: unknown session, bad literal (with line/col in the literal), etc. */
export class AdminError extends Error {
  constructor(
    readonly code: 'not_found' | 'bad_literal' | 'bad_request',
    message: string,
    readonly where?: { field: 'key' | 'value'; line: number; col: number },
  ) {
    super(message);
    this.name = 'AdminError';
  }
}

export { SessionConflictError };

export interface SessionAdminDeps {
  manager: SessionManager;
  journal: RequestJournal;
  /** the current pool (it is replaced when pse.conf is reloaded) */
  editor: () => PickleEditor;
  events: SessionEvents;
}

export class SessionAdmin {
  constructor(private readonly d: SessionAdminDeps) {}

  // ---------------------------------------------------------------- reads

  listSessions(q: SessionListQuery = {}): Promise<Page<SessionSummary>> {
    return this.d.manager.store.list(q, this.d.manager.now());
  }

  async getSession(id: string): Promise<SessionView> {
    const v = await this.d.manager.store.view(id, this.d.manager.now());
    if (!v) throw new AdminError('not_found', `session ${id}: no such session (or it expired)`);
    return v;
  }

  journal(q: JournalQuery = {}): Promise<JournalEntry[]> {
    return this.d.journal.list(q);
  }

  journalEntry(serial: number): Promise<JournalEntry | null> {
    return this.d.journal.get(serial);
  }

  /**
   * A session state for a dry run (SessionManager.open({ dry: true, snapshot })): the entry's
   * session as it stood `phase` the request (see journal/history.ts), today's namespaces where
   * the journal knows no better.
   */
  async snapshot(
    serial: number,
    phase: PicklePhase,
  ): Promise<{ id: string; ns: Map<string, Buffer>; previews: Record<string, PreviewValue> }> {
    const entry = await this.d.journal.get(serial);
    if (!entry)
      throw new AdminError(
        'not_found',
        `journal entry ${serial}: not recorded (or no longer kept)`,
      );
    if (!entry.sessionId)
      throw new AdminError('not_found', `journal entry ${serial} has no session`);
    const current = await this.d.manager.store.load(entry.sessionId, this.d.manager.now());
    const ns = new Map<string, Buffer>();
    const previews: Record<string, PreviewValue> = {};
    for (const [name, n] of current?.ns ?? []) {
      ns.set(name, n.pickle);
      previews[name] = n.preview;
    }
    const past = namespacesAt(await sessionHistory(this.d.journal, entry.sessionId), serial, phase);
    for (const [name, p] of past) {
      const pickle = p.from ? await this.d.journal.pickle(p.from.serial, name, p.from.phase) : null;
      if (pickle) {
        ns.set(name, pickle);
        delete previews[name];
        if (p.preview) previews[name] = p.preview;
      } else if (p.from || p.preview === null) {
        // recorded as not existing then
        ns.delete(name);
        delete previews[name];
      }
    }
    return { id: entry.sessionId, ns, previews };
  }

  // ---------------------------------------------------------------- changes

  /** `ns[key] = value`, both given as Python literals (e.g. `'name'`, `{'a': [1, 2]}`). */
  setKey(
    id: string,
    ns: string,
    keyLiteral: string,
    valueLiteral: string,
    basedOn: number,
  ): Promise<SessionView> {
    return this.editNamespace(
      id,
      ns,
      basedOn,
      `set ${ns || "''"}[${keyLiteral}] = ${valueLiteral}`,
      {
        op: 'set',
        key: keyLiteral,
        literal: valueLiteral,
      },
    );
  }

  deleteKey(id: string, ns: string, keyLiteral: string, basedOn: number): Promise<SessionView> {
    return this.editNamespace(id, ns, basedOn, `delete ${ns || "''"}[${keyLiteral}]`, {
      op: 'delete',
      key: keyLiteral,
    });
  }

  clearNamespace(id: string, ns: string, basedOn: number): Promise<SessionView> {
    return this.editNamespace(id, ns, basedOn, `clear ${ns || "''"}`, { op: 'clear' });
  }

  /** Deletes a named namespace ('' — the standard one — can only be cleared). */
  deleteNamespace(id: string, ns: string, basedOn: number): Promise<SessionView> {
    if (ns === '')
      throw new AdminError(
        'bad_request',
        'the standard session dictionary cannot be deleted; clear it instead',
      );
    return this.change(id, basedOn, `delete namespace ${ns}`, async (s) => {
      const old = s.ns.get(ns);
      if (!old) throw new AdminError('not_found', `session ${id}: no namespace '${ns}'`);
      return {
        upsert: new Map(),
        delete: [ns],
        changes: [namespaceChange(ns, old.preview, null)],
        pickles: [[ns, old.pickle, null]],
      };
    });
  }

  /** A new, empty session (e.g. to preview pages against it). */
  async createSession(): Promise<SessionView> {
    const id = newSessionId();
    const now = this.d.manager.now();
    await this.d.manager.store.commit({
      id,
      now,
      expires: this.d.manager.expiresAt(now),
      create: true,
      upsert: new Map(),
      delete: [],
    });
    this.journalEdit(id, 'create session', [], []);
    this.d.events.emit('sessionChanged', { id, version: 1, namespaces: [], by: 'admin' });
    return this.getSession(id);
  }

  /** Ends a session now, as if it had timed out (it is swept later). */
  async expireSession(id: string, basedOn: number): Promise<void> {
    await this.locked(id, async () => {
      const s = await this.loadAt(id, basedOn);
      const now = this.d.manager.now();
      await this.d.manager.store.touch(id, now, now);
      this.journalEdit(id, 'expire session', removedAll(s), []);
      this.d.events.emit('sessionChanged', {
        id,
        version: null,
        namespaces: [...s.ns.keys()],
        by: 'admin',
      });
    });
  }

  async deleteSession(id: string, basedOn: number): Promise<void> {
    await this.locked(id, async () => {
      const s = await this.loadAt(id, basedOn);
      await this.d.manager.store.delete(id, basedOn);
      this.journalEdit(
        id,
        'delete session',
        removedAll(s),
        [...s.ns].map(([n, v]) => [n, v.pickle, null] as const),
      );
      this.d.events.emit('sessionChanged', {
        id,
        version: null,
        namespaces: [...s.ns.keys()],
        by: 'admin',
      });
    });
  }

  /**
   * Puts back the namespaces recorded by journal entry `serial` as they were `phase` it
   * ('before' or 'after' the request), into session `id` (by default the entry's own session).
   * A namespace that did not exist at that point is deleted.
   */
  async restore(
    serial: number,
    phase: PicklePhase,
    basedOn: number,
    id?: string,
  ): Promise<SessionView> {
    const entry = await this.d.journal.get(serial);
    if (!entry)
      throw new AdminError(
        'not_found',
        `journal entry ${serial}: not recorded (or no longer kept)`,
      );
    const target = id ?? entry.sessionId;
    if (!target)
      throw new AdminError('bad_request', `journal entry ${serial} has no session to restore into`);
    if (entry.restorable.length === 0) {
      throw new AdminError(
        'not_found',
        `journal entry ${serial}: no recorded session state to restore`,
      );
    }
    return this.change(target, basedOn, `restore #${serial} ${phase}`, async (s) => {
      const upsert = new Map<string, { pickle: Buffer; preview: PreviewValue }>();
      const del: string[] = [];
      const changes: NamespaceChange[] = [];
      const pickles: [string, Buffer | null, Buffer | null][] = [];
      for (const r of entry.restorable) {
        const recorded = await this.d.journal.pickle(serial, r.name, phase);
        const old = s.ns.get(r.name) ?? null;
        if (!recorded) {
          if (old) {
            del.push(r.name);
            changes.push(namespaceChange(r.name, old.preview, null));
            pickles.push([r.name, old.pickle, null]);
          }
          continue;
        }
        const edited = await this.edit({
          op: 'restore',
          from: recorded,
          ...(old ? { pickle: old.pickle } : {}),
        });
        upsert.set(r.name, edited);
        changes.push(namespaceChange(r.name, old?.preview ?? null, edited.preview));
        pickles.push([r.name, old?.pickle ?? null, edited.pickle]);
      }
      return { upsert, delete: del, changes, pickles };
    });
  }

  // ---------------------------------------------------------------- internals

  private editNamespace(
    id: string,
    ns: string,
    basedOn: number,
    what: string,
    op: { op: AdminMsg['op']; key?: string; literal?: string },
  ): Promise<SessionView> {
    if (!isNamespaceName(ns))
      throw new AdminError(
        'bad_request',
        `'${ns}' is not a session namespace name (names do not start with '_')`,
      );
    return this.change(id, basedOn, what, async (s) => {
      const old = s.ns.get(ns) ?? null;
      const edited = await this.edit({ ...op, ...(old ? { pickle: old.pickle } : {}) });
      return {
        upsert: new Map([[ns, edited]]),
        delete: [],
        changes: [namespaceChange(ns, old?.preview ?? null, edited.preview)],
        pickles: [[ns, old?.pickle ?? null, edited.pickle]],
      };
    });
  }

  private async edit(
    req: Parameters<PickleEditor['admin']>[0],
  ): Promise<{ pickle: Buffer; preview: PreviewValue }> {
    const r = await this.d.editor().admin(req);
    if (!r.ok || !r.pickle || !r.preview) {
      const e = r.error ?? { message: 'the worker gave no result' };
      const field = req.op === 'set' && /^value/.test(e.message) ? 'value' : 'key';
      throw new AdminError(
        'bad_literal',
        e.line !== undefined
          ? `${e.message} (${field} literal, line ${e.line}, column ${e.col ?? 1})`
          : e.message,
        e.line !== undefined ? { field, line: e.line, col: e.col ?? 1 } : undefined,
      );
    }
    return { pickle: r.pickle, preview: r.preview };
  }

  private async change(
    id: string,
    basedOn: number,
    what: string,
    plan: (s: StoredSession) => Promise<{
      upsert: Map<string, { pickle: Buffer; preview: PreviewValue }>;
      delete: string[];
      changes: NamespaceChange[];
      pickles: (readonly [string, Buffer | null, Buffer | null])[];
    }>,
  ): Promise<SessionView> {
    await this.locked(id, async () => {
      const s = await this.loadAt(id, basedOn);
      const p = await plan(s);
      const now = this.d.manager.now();
      const r = await this.d.manager.store.commit({
        id,
        now,
        expires: this.d.manager.expiresAt(now),
        expectVersion: basedOn,
        upsert: p.upsert,
        delete: p.delete,
      });
      for (const c of p.changes) {
        const v = r.versions.get(c.name);
        if (v !== undefined) c.version = v;
      }
      this.journalEdit(id, what, p.changes, p.pickles);
      this.d.events.emit('sessionChanged', {
        id,
        version: r.version,
        namespaces: p.changes.map((c) => c.name),
        by: 'admin',
      });
    });
    return this.getSession(id);
  }

  private async locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const release = await this.d.manager.lockSession(id);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** The session as of now, if it still has the version the change was based on. */
  private async loadAt(id: string, basedOn: number): Promise<StoredSession> {
    const s = await this.d.manager.store.load(id, this.d.manager.now());
    if (!s) {
      throw new SessionConflictError(id, basedOn, null);
    }
    if (s.version !== basedOn) throw new SessionConflictError(id, basedOn, s.version);
    return s;
  }

  private journalEdit(
    id: string,
    what: string,
    changes: NamespaceChange[],
    pickles: (readonly [string, Buffer | null, Buffer | null])[],
  ): void {
    recordEdit(
      this.d.journal,
      id,
      what,
      changes,
      new Map(pickles.map(([n, before, after]) => [n, { before, after }])),
    );
  }
}

function removedAll(s: StoredSession): NamespaceChange[] {
  return [...s.ns].map(([name, n]) => namespaceChange(name, n.preview, null));
}
