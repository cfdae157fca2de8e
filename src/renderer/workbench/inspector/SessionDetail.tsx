/**
 * One session: its namespaces as trees, each key with the request and line that last wrote it
 * (blame) and its history, an edit form (Python literals), the pending changes with their
 * diffs, Apply / Discard, and the conflict view when the server moved on meanwhile.
 */
import { namespaceLabel } from '../../base/namespace.js';
import { useCallback, useEffect, useRef, useState } from 'react';
import type {
  InspectorApi,
  JournalEntry,
  NamespaceBlame,
  PendingOp,
  SessionView,
} from '../../../common/api-inspector.js';
import type { KeyBlame } from '../../../common/types/journal.js';
import { RequestDetail } from '../requestlog/RequestDetail.js';
import { KeyBlameCell } from './KeyBlame.js';
import type { PreviewValue } from '../../../common/types/session.js';
import { formatWhen } from '../../base/dates.js';
import { formatValue } from '../../base/preview-format.js';
import { DiffView } from '../requestlog/DiffView.js';
import { keyLiteral, toLiteral } from './literal.js';
import { describeOp, type ConflictView, type Pending } from './pending.js';
import { useDialogsContext } from '../hooks/useDialogs.js';
import { InlineEdit } from './InlineEdit.js';
import { formatBytes } from './SessionList.js';
import { ValueTree } from './ValueTree.js';

interface Props {
  api: InspectorApi;
  id: string;
  pending: Pending;
  conflicts: ConflictView[];
  /** stages one op; resolves to an error message (nothing staged) or null */
  stage(namespace: string, baseVersion: number, op: PendingOp): Promise<string | null>;
  onApply(): void;
  onDiscard(namespace?: string): void;
  /** re-bases the staged ops of a conflicting namespace on the server's version */
  onRebase(namespace: string): void;
  onPreviewSession(id: string): void;
  onGone(): void;
  onError(message: string): void;
  onOpenLine(file: string, line: number, col: number): void;
  /** the embedded server's URL, for the opened request's "copy as curl" */
  serverUrl?: string;
}

/** namespace → key → its blame */
function blameIndex(blame: NamespaceBlame[]): Map<string, Map<string, KeyBlame>> {
  return new Map(blame.map((ns) => [ns.name, new Map(ns.keys.map((k) => [k.key, k]))]));
}

/** The literal of a top-level key's value, to edit it from. */
function literalOf(ns: PreviewValue, key: string): string {
  const v = ns.t === 'dict' ? ns.v.find(([k]) => k === key)?.[1] : undefined;
  return (v && toLiteral(v)) ?? '';
}

export function SessionDetail(p: Props) {
  const { api, id, onError } = p;
  const [view, setView] = useState<SessionView | undefined>();
  const [form, setForm] = useState({ namespace: '', key: '', value: '' });
  const [problem, setProblem] = useState<string | undefined>();
  const [editing, setEditing] = useState<{ namespace: string; key: string } | undefined>();
  const [blame, setBlame] = useState<Map<string, Map<string, KeyBlame>>>(new Map());
  const [request, setRequest] = useState<JournalEntry | undefined>();
  const { confirm } = useDialogsContext();
  // set while this view expires or deletes its session: the change event that follows finds
  // the session gone, which is then no error
  const ending = useRef(false);

  const load = useCallback(() => {
    if (ending.current) return;
    api.inspectorSession(id).then(setView, (e: Error) => {
      if (ending.current) return;
      setView(undefined);
      onError(e.message);
    });
    // provenance is extra: a session the journal knows nothing of just shows none
    api.sessionBlame(id).then(
      (b) => setBlame(blameIndex(b)),
      () => setBlame(new Map()),
    );
  }, [api, id, onError]);
  const openRequest = useCallback(
    (serial: number) => {
      api.requestEntry(serial).then(setRequest, (e: Error) => onError(e.message));
    },
    [api, onError],
  );

  useEffect(() => {
    load();
    const sub = api.onSessionChanged((c) => {
      if (c.id === id) load();
    });
    return () => sub.dispose();
  }, [api, id, load]);
  useEffect(load, [load, p.pending.length]);

  if (!view) return <div className="empty">Loading session…</div>;
  const versionOf = (ns: string): number =>
    view.namespaceViews.find((n) => n.name === ns)?.version ?? 0;
  const stage = async (namespace: string, op: PendingOp): Promise<void> => {
    const err = await p.stage(namespace, versionOf(namespace), op);
    setProblem(err ?? undefined);
  };
  const sessionAction = async (what: 'expire' | 'delete'): Promise<void> => {
    const sure = await confirm(
      what === 'expire' ? 'Expire session' : 'Delete session',
      what === 'expire'
        ? `Expire session ${id.slice(0, 10)}…? Its visitor starts over with an empty session.`
        : `Delete session ${id.slice(0, 10)}… and all its data? This cannot be undone.`,
      what === 'expire' ? 'Expire' : 'Delete',
    );
    if (!sure) return;
    ending.current = true;
    const call =
      what === 'expire' ? api.expireSession(id, view.version) : api.deleteSession(id, view.version);
    call.then(p.onGone, (e: Error) => {
      ending.current = false;
      onError(e.message);
    });
  };

  return (
    <div className="session-detail" data-id={id}>
      <div className="toolbar">
        <span className="mono" title={id}>
          {id.slice(0, 16)}…
        </span>
        <span className="muted">
          version {view.version} ·{' '}
          {formatBytes(view.namespaceViews.reduce((n, x) => n + x.size, 0))} · expires{' '}
          <span className="session-expires" title={new Date(view.expires).toString()}>
            {formatWhen(view.expires)}
          </span>
        </span>
        <button onClick={() => p.onPreviewSession(id)}>Preview as this session</button>
        <button onClick={() => void sessionAction('expire')}>Expire</button>
        <button onClick={() => void sessionAction('delete')}>Delete session</button>
      </div>

      <form
        className="edit-form"
        aria-label="Edit a value"
        onSubmit={(e) => {
          e.preventDefault();
          void stage(form.namespace, { op: 'set', key: form.key, value: form.value });
        }}
      >
        <input
          aria-label="Namespace"
          placeholder="namespace ('' = standard)"
          value={form.namespace}
          onChange={(e) => setForm({ ...form, namespace: e.target.value })}
        />
        <input
          aria-label="Key literal"
          placeholder="key, e.g. 'name'"
          value={form.key}
          onChange={(e) => setForm({ ...form, key: e.target.value })}
        />
        <textarea
          aria-label="Value literal"
          placeholder="value as a Python literal, e.g. {'a': [1, 2]}"
          value={form.value}
          onChange={(e) => setForm({ ...form, value: e.target.value })}
        />
        <button type="submit">Stage</button>
      </form>
      {problem ? (
        <div className="edit-problem" role="alert">
          {problem}
        </div>
      ) : null}

      {request ? (
        <section className="blame-request-detail" aria-label={`Request #${request.serial}`}>
          <button className="small" onClick={() => setRequest(undefined)}>
            close request
          </button>
          <RequestDetail
            key={request.serial}
            api={api}
            entry={request}
            serverUrl={p.serverUrl}
            onOpenLine={p.onOpenLine}
            onError={onError}
          />
        </section>
      ) : null}

      {view.namespaceViews.length === 0 ? (
        <div className="empty">This session holds no data.</div>
      ) : null}
      {view.namespaceViews.map((ns) => (
        <section key={ns.name} className="namespace" data-namespace={ns.name}>
          <div className="namespace-head">
            <span className="ns-name">{namespaceLabel(ns.name)}</span>
            <span className="muted">
              v{ns.version} · {formatBytes(ns.size)}
            </span>
            <button onClick={() => void stage(ns.name, { op: 'clear' })}>Clear</button>
            {ns.name !== '' ? (
              <button onClick={() => void stage(ns.name, { op: 'deleteNamespace' })}>
                Delete namespace
              </button>
            ) : null}
          </div>
          <ValueTree
            value={ns.preview}
            editing={
              editing?.namespace === ns.name
                ? {
                    key: editing.key,
                    editor: (
                      <InlineEdit
                        label={`New value of ${editing.key}`}
                        initial={literalOf(ns.preview, editing.key)}
                        onCancel={() => setEditing(undefined)}
                        onCommit={async (text) => {
                          const err = await p.stage(ns.name, ns.version, {
                            op: 'set',
                            key: keyLiteral(editing.key),
                            value: text,
                          });
                          if (!err) setEditing(undefined);
                          return err;
                        }}
                      />
                    ),
                  }
                : undefined
            }
            actions={(key, value) => (
              <>
                <button
                  className="small"
                  aria-label={`Edit ${key}`}
                  title={toLiteral(value) === null ? 'no literal for this value' : undefined}
                  onClick={() => setEditing({ namespace: ns.name, key })}
                >
                  edit
                </button>
                <button
                  className="small"
                  aria-label={`Delete ${key}`}
                  onClick={() => void stage(ns.name, { op: 'delete', key: keyLiteral(key) })}
                >
                  ×
                </button>
                <KeyBlameCell
                  blame={blame.get(ns.name)?.get(key)}
                  onOpenRequest={openRequest}
                  onOpenLine={p.onOpenLine}
                />
              </>
            )}
          />
        </section>
      ))}

      {p.pending.length ? (
        <section className="pending-changes" aria-label="Pending changes">
          <div className="namespace-head">
            <span className="ns-name">Pending changes</span>
            <button className="primary" onClick={p.onApply}>
              Apply
            </button>
            <button onClick={() => p.onDiscard()}>Discard all</button>
          </div>
          {p.pending.map((n) => (
            <div key={n.namespace} className="pending-ns" data-namespace={n.namespace}>
              <div>
                <b>{namespaceLabel(n.namespace)}</b>{' '}
                <span className="muted">based on v{n.baseVersion}</span>{' '}
                <button className="small" onClick={() => p.onDiscard(n.namespace)}>
                  discard
                </button>
              </div>
              <ul className="ops">
                {n.ops.map((op, i) => (
                  <li key={i}>{describeOp(op)}</li>
                ))}
              </ul>
              <KeyDiffLine change={n.change} />
              <DiffView
                before={n.change.before}
                after={n.change.after}
                label={`pending ${n.namespace}`}
              />
            </div>
          ))}
        </section>
      ) : null}

      {p.conflicts.length ? (
        <section className="conflicts" role="alert" aria-label="Conflict">
          <div className="ns-name">
            The server changed this session since your edit began. Nothing was written.
          </div>
          {p.conflicts.map((c) => (
            <div key={c.namespace} className="conflict-ns" data-namespace={c.namespace}>
              <div>
                <b>{namespaceLabel(c.namespace)}</b> is now at v{c.serverVersion}{' '}
                <button onClick={() => p.onRebase(c.namespace)}>
                  Re-apply my ops on the server's value
                </button>{' '}
                <button onClick={() => p.onDiscard(c.namespace)}>Keep the server's</button>
              </div>
              <div className="three-way">
                <div>
                  <div className="muted">based on</div>
                  <pre className="conflict-base">{formatValue(c.base)}</pre>
                </div>
                <div>
                  <div className="muted">server</div>
                  <pre className="conflict-server">{formatValue(c.server)}</pre>
                </div>
                <div>
                  <div className="muted">yours</div>
                  <pre className="conflict-yours">{formatValue(c.yours)}</pre>
                </div>
              </div>
            </div>
          ))}
        </section>
      ) : null}
    </div>
  );
}

export function KeyDiffLine({
  change,
}: {
  change: { diff: { added: string[]; removed: string[]; changed: string[] } };
}) {
  const d = change.diff;
  return (
    <div className="key-diff">
      {d.added.map((k) => (
        <span key={`+${k}`} className="diff-added">
          +{k}{' '}
        </span>
      ))}
      {d.changed.map((k) => (
        <span key={`~${k}`} className="diff-changed">
          ~{k}{' '}
        </span>
      ))}
      {d.removed.map((k) => (
        <span key={`-${k}`} className="diff-removed">
          −{k}{' '}
        </span>
      ))}
    </div>
  );
}
