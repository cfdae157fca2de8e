/**
 * Pending changes of one session: per namespace, the ops the user staged, the namespace version
 * they are based on and the change they make (as the server computed it when staging). Pure
 * functions over plain data, so the views stay dumb and the rules are testable.
 */
import type { EditConflict, NamespaceEdit, PendingOp } from '../../../common/api-inspector.js';
import type { NamespaceChange } from '../../../common/types/journal.js';

export interface PendingNamespace {
  namespace: string;
  baseVersion: number;
  ops: PendingOp[];
  /** the change as staged (before = the value it is based on, after = yours) */
  change: NamespaceChange;
}

export type Pending = readonly PendingNamespace[];

/** The edit of `namespace` with `op` appended (or a new one based on `baseVersion`). */
export function withOp(
  p: Pending,
  namespace: string,
  baseVersion: number,
  op: PendingOp,
): NamespaceEdit {
  const cur = p.find((n) => n.namespace === namespace);
  // A restore replaces the whole namespace: the ops staged before it no longer matter.
  const ops = op.op === 'restore' || op.op === 'deleteNamespace' ? [op] : [...(cur?.ops ?? []), op];
  return { namespace, baseVersion: cur?.baseVersion ?? baseVersion, ops };
}

/** `p` with the staged result of `edit` in place of its namespace's entry. */
export function put(p: Pending, edit: NamespaceEdit, change: NamespaceChange): Pending {
  const next: PendingNamespace = {
    namespace: edit.namespace,
    baseVersion: edit.baseVersion,
    ops: edit.ops,
    change,
  };
  const i = p.findIndex((n) => n.namespace === edit.namespace);
  return i < 0 ? [...p, next] : p.map((n, j) => (j === i ? next : n));
}

export function drop(p: Pending, namespace: string): Pending {
  return p.filter((n) => n.namespace !== namespace);
}

export function toEdits(p: Pending): NamespaceEdit[] {
  return p.map(({ namespace, baseVersion, ops }) => ({ namespace, baseVersion, ops }));
}

/** A conflict beside the staged change: the value it was based on, the server's, and yours. */
export interface ConflictView {
  namespace: string;
  base: NamespaceChange['before'];
  server: EditConflict['server'];
  yours: NamespaceChange['after'];
  serverVersion: number;
}

export function conflictViews(p: Pending, conflicts: EditConflict[]): ConflictView[] {
  return conflicts.map((c) => {
    const staged = p.find((n) => n.namespace === c.namespace);
    return {
      namespace: c.namespace,
      base: staged?.change.before ?? null,
      server: c.server,
      yours: staged?.change.after ?? null,
      serverVersion: c.serverVersion,
    };
  });
}

/** Words for an op, as listed among the pending changes. */
export function describeOp(op: PendingOp): string {
  switch (op.op) {
    case 'set':
      return `set [${op.key}] = ${op.value}`;
    case 'delete':
      return `delete [${op.key}]`;
    case 'clear':
      return 'clear';
    case 'deleteNamespace':
      return 'delete namespace';
    case 'restore':
      return `restore as ${op.phase} #${op.serial}`;
  }
}
