/**
 * Batched namespace edits for Studio's inspector: several edits of one session, each based on
 * the version of the namespace it was made against, checked and applied in ONE commit — or none
 * of them. A stale namespace is a conflict (nothing is written); a bad literal is a problem with
 * its op and its line/column (nothing is written). Values are edited in Python through the pool
 * (pse/_admin.py, literals only), exactly like the single-change admin API.
 */
import { recordEdit } from '../journal/record.js';
import type { NamespaceChange } from '../../common/types/journal.js';
import type { PreviewValue, SessionView } from '../../common/types/session.js';
import type { RequestJournal } from '../journal/journal.js';
import { namespaceChange } from '../session/diff.js';
import type { SessionEvents } from '../session/events.js';
import type { SessionManager } from '../session/manager.js';
import { isNamespaceName, type StoredSession } from '../session/store.js';
import { AdminError, type PickleEditor } from './admin.js';

export type NamespaceOp =
  | { op: 'set'; key: string; value: string }
  | { op: 'delete'; key: string }
  | { op: 'clear' }
  | { op: 'deleteNamespace' }
  | { op: 'restore'; serial: number; phase: 'before' | 'after' };

export interface NamespaceEditSpec {
  namespace: string;
  /** the namespace's version when the edit began; 0 = it did not exist */
  baseVersion: number;
  ops: NamespaceOp[];
}

/** A bad op: nothing was written. */
export class EditProblemError extends Error {
  constructor(
    readonly namespace: string,
    readonly op: number,
    message: string,
    readonly where?: { field: 'key' | 'value'; line: number; col: number },
  ) {
    super(message);
    this.name = 'EditProblemError';
  }
}

export interface NamespaceConflict {
  namespace: string;
  baseVersion: number;
  serverVersion: number;
  server: PreviewValue | null;
}

/** Namespaces changed since their edits began: nothing was written. */
export class EditConflictError extends Error {
  constructor(
    readonly sessionId: string,
    readonly conflicts: NamespaceConflict[],
  ) {
    super(
      `session ${sessionId}: ${conflicts
        .map(
          (c) =>
            `namespace '${c.namespace}' is at version ${c.serverVersion}, the edit was based on ${c.baseVersion}`,
        )
        .join('; ')}`,
    );
    this.name = 'EditConflictError';
  }
}

export interface BatchEditDeps {
  manager: SessionManager;
  journal: RequestJournal;
  editor: () => PickleEditor;
  events: SessionEvents;
}

type State = { pickle: Buffer; preview: PreviewValue } | null;

export class BatchEditor {
  constructor(private readonly d: BatchEditDeps) {}

  /** What `edit` would make of the namespace now. Writes nothing. */
  async stage(id: string, edit: NamespaceEditSpec): Promise<NamespaceChange> {
    const s = await this.load(id);
    this.checkVersions(s, [edit]);
    const old = stateOf(s, edit.namespace);
    const after = await this.run(edit, old);
    return namespaceChange(edit.namespace, old?.preview ?? null, after?.preview ?? null);
  }

  /** Applies every edit in one commit under the session's lock; journals one `edited` entry. */
  async apply(
    id: string,
    edits: NamespaceEditSpec[],
  ): Promise<{ view: SessionView; changes: NamespaceChange[]; serial: number | null }> {
    const names = new Set<string>();
    for (const e of edits) {
      if (names.has(e.namespace))
        throw new AdminError(
          'bad_request',
          `namespace '${e.namespace}' is edited twice in one apply; merge its ops`,
        );
      names.add(e.namespace);
    }
    // every process's requests of this session wait, as for the inspector's other edits
    const release = await this.d.manager.lockSession(id);
    let serial: number | null = null;
    const changes: NamespaceChange[] = [];
    try {
      const s = await this.load(id);
      this.checkVersions(s, edits);
      const upsert = new Map<string, { pickle: Buffer; preview: PreviewValue }>();
      const del: string[] = [];
      const pickles = new Map<string, { before: Buffer | null; after: Buffer | null }>();
      for (const e of edits) {
        const old = stateOf(s, e.namespace);
        const after = await this.run(e, old);
        if (!old && !after) continue;
        if (after) upsert.set(e.namespace, after);
        else del.push(e.namespace);
        changes.push(namespaceChange(e.namespace, old?.preview ?? null, after?.preview ?? null));
        pickles.set(e.namespace, { before: old?.pickle ?? null, after: after?.pickle ?? null });
      }
      if (changes.length === 0) return { view: await this.view(id), changes, serial };
      const now = this.d.manager.now();
      const r = await this.d.manager.store.commit({
        id,
        now,
        expires: this.d.manager.expiresAt(now),
        expectVersion: s.version,
        upsert,
        delete: del,
      });
      for (const c of changes) {
        const v = r.versions.get(c.name);
        if (v !== undefined) c.version = v;
      }
      serial = recordEdit(this.d.journal, id, describeEdits(edits), changes, pickles).serial;
      this.d.events.emit('sessionChanged', {
        id,
        version: r.version,
        namespaces: changes.map((c) => c.name),
        by: 'admin',
      });
    } finally {
      release();
    }
    return { view: await this.view(id), changes, serial };
  }

  private async load(id: string): Promise<StoredSession> {
    const s = await this.d.manager.store.load(id, this.d.manager.now());
    if (!s) throw new AdminError('not_found', `session ${id}: no such session (or it expired)`);
    return s;
  }

  private async view(id: string): Promise<SessionView> {
    const v = await this.d.manager.store.view(id, this.d.manager.now());
    if (!v) throw new AdminError('not_found', `session ${id}: no such session (or it expired)`);
    return v;
  }

  private checkVersions(s: StoredSession, edits: NamespaceEditSpec[]): void {
    const conflicts: NamespaceConflict[] = [];
    for (const e of edits) {
      if (!isNamespaceName(e.namespace))
        throw new EditProblemError(
          e.namespace,
          0,
          `'${e.namespace}' is not a session namespace name (names do not start with '_')`,
        );
      const cur = s.ns.get(e.namespace);
      const serverVersion = cur?.version ?? 0;
      if (serverVersion !== e.baseVersion)
        conflicts.push({
          namespace: e.namespace,
          baseVersion: e.baseVersion,
          serverVersion,
          server: cur?.preview ?? null,
        });
    }
    if (conflicts.length) throw new EditConflictError(s.id, conflicts);
  }

  /** Runs the ops of one namespace on its state, in order. */
  private async run(e: NamespaceEditSpec, start: State): Promise<State> {
    let cur = start;
    for (const [i, op] of e.ops.entries()) {
      switch (op.op) {
        case 'deleteNamespace':
          if (e.namespace === '')
            throw new EditProblemError(
              '',
              i,
              'the standard session dictionary cannot be deleted; clear it instead',
            );
          cur = null;
          break;
        case 'restore': {
          const entry = await this.d.journal.get(op.serial);
          const kept = entry?.restorable.find((r) => r.name === e.namespace);
          if (!entry || !kept)
            throw new EditProblemError(
              e.namespace,
              i,
              `journal entry ${op.serial} kept no state of namespace '${e.namespace}' (or is no longer kept)`,
            );
          const recorded = await this.d.journal.pickle(op.serial, e.namespace, op.phase);
          cur = recorded
            ? await this.edit(e.namespace, i, { op: 'restore', from: recorded })
            : null;
          break;
        }
        default:
          cur = await this.edit(e.namespace, i, {
            op: op.op,
            key: 'key' in op ? op.key : undefined,
            literal: op.op === 'set' ? op.value : undefined,
            pickle: cur?.pickle,
          });
      }
    }
    return cur;
  }

  private async edit(
    namespace: string,
    index: number,
    req: Parameters<PickleEditor['admin']>[0],
  ): Promise<{ pickle: Buffer; preview: PreviewValue }> {
    const clean = Object.fromEntries(
      Object.entries(req).filter(([, v]) => v !== undefined),
    ) as typeof req;
    const r = await this.d.editor().admin(clean);
    if (r.ok && r.pickle && r.preview) return { pickle: r.pickle, preview: r.preview };
    const e = r.error ?? { message: 'the worker gave no result' };
    const field = req.op === 'set' && /^value/.test(e.message) ? 'value' : 'key';
    throw new EditProblemError(
      namespace,
      index,
      e.line !== undefined
        ? `${e.message} (${field} literal, line ${e.line}, column ${e.col ?? 1})`
        : e.message,
      e.line !== undefined ? { field, line: e.line, col: e.col ?? 1 } : undefined,
    );
  }
}

function stateOf(s: StoredSession, name: string): State {
  const n = s.ns.get(name);
  return n ? { pickle: n.pickle, preview: n.preview } : null;
}

function describeEdits(edits: NamespaceEditSpec[]): string {
  const parts: string[] = [];
  for (const e of edits) {
    const ns = e.namespace || "''";
    for (const op of e.ops) {
      if (op.op === 'set')
        parts.push(
          `set ${ns}[${op.key}] = ${op.value.length > 60 ? op.value.slice(0, 57) + '...' : op.value}`,
        );
      else if (op.op === 'delete') parts.push(`delete ${ns}[${op.key}]`);
      else if (op.op === 'clear') parts.push(`clear ${ns}`);
      else if (op.op === 'deleteNamespace') parts.push(`delete namespace ${ns}`);
      else parts.push(`restore ${ns} from #${op.serial} ${op.phase}`);
    }
  }
  return parts.join('; ');
}
