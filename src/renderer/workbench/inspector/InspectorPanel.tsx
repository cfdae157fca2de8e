/**
 * The inspector's views in the workbench panel: Sessions (list + one session with its pending
 * changes), Requests (the live request log), Timeline (time travel of the chosen session),
 * Exceptions (grouped by type and line), Watches (on the chosen session) and Tests (.psetest).
 * The panel's tab strip chooses the view; pending changes live here, so the timeline's "restore
 * this state" lands among them.
 */
import { memo, useCallback, useEffect, useState } from 'react';
import type { InspectorApi, PendingOp } from '../../../common/api-inspector.js';
import type { TestingApi } from '../../../common/api-testing.js';
import type { ExceptionsApi } from '../../../common/api-exceptions.js';
import { ExceptionsPanel } from '../exceptions/ExceptionsPanel.js';
import { WatchesPanel } from '../watches/WatchesPanel.js';
import { RequestLog } from '../requestlog/RequestLog.js';
import { TestsPanel } from '../tests/TestsPanel.js';
import { Timeline } from '../timeline/Timeline.js';
import './inspector.css';
import {
  conflictViews,
  drop,
  put,
  toEdits,
  withOp,
  type ConflictView,
  type Pending,
} from './pending.js';
import { SessionDetail } from './SessionDetail.js';
import { SessionList } from './SessionList.js';

export type InspectorTab =
  | 'sessions'
  | 'requests'
  | 'timeline'
  | 'exceptions'
  | 'watches'
  | 'tests';

interface Props {
  api: InspectorApi & TestingApi & ExceptionsApi;
  /** the embedded server's URL, for "copy as curl" */
  serverUrl?: string;
  onOpenLine(file: string, line: number, col: number): void;
  onPreviewSession(id: string): void;
  onError(message: string): void;
  /** the view shown; null while the panel shows something else (the inspector stays mounted) */
  tab: InspectorTab | null;
  onTab(tab: InspectorTab): void;
  /** how many namespaces have staged changes, for the Sessions tab's label */
  onPendingCount(count: number): void;
}

function problemText(p: { message: string; op: number }, ops: PendingOp[]): string {
  return ops.length > 1 ? `${p.message} (in change ${p.op + 1} of ${ops.length})` : p.message;
}

// memo: the panel stays mounted (hidden) while the user types in the editor
export const InspectorPanel = memo(function InspectorPanel({
  api,
  serverUrl,
  onOpenLine,
  onPreviewSession,
  onError,
  tab,
  onTab: setTab,
  onPendingCount,
}: Props) {
  const [session, setSession] = useState<string | undefined>();
  const [pending, setPending] = useState<Pending>([]);
  const [conflicts, setConflicts] = useState<ConflictView[]>([]);

  useEffect(() => {
    setPending([]);
    setConflicts([]);
  }, [session]);
  useEffect(() => onPendingCount(pending.length), [pending.length, onPendingCount]);

  const stage = useCallback(
    async (
      namespace: string,
      baseVersion: number,
      op: PendingOp,
      base: Pending = pending,
    ): Promise<{ error: string | null; next: Pending }> => {
      if (!session) return { error: 'no session chosen', next: base };
      const edit = withOp(base, namespace, baseVersion, op);
      const r = await api.stageEdit(session, edit).catch((e: Error) => ({
        ok: false as const,
        problem: { namespace, op: 0, message: e.message },
      }));
      if (r.ok) return { error: null, next: put(base, edit, r.change) };
      if ('conflict' in r) {
        setConflicts(conflictViews(base, [r.conflict]));
        return {
          error: `namespace ${namespace === '' ? "''" : namespace} changed on the server since you opened it (now v${r.conflict.serverVersion})`,
          next: base,
        };
      }
      return { error: problemText(r.problem, edit.ops), next: base };
    },
    [api, session, pending],
  );

  const stageOne = useCallback(
    async (namespace: string, baseVersion: number, op: PendingOp): Promise<string | null> => {
      const { error, next } = await stage(namespace, baseVersion, op);
      if (!error) setPending(next);
      return error;
    },
    [stage],
  );

  const apply = useCallback(() => {
    if (!session) return;
    api.applyEdits(session, toEdits(pending)).then(
      (r) => {
        if (r.ok) {
          setPending([]);
          setConflicts([]);
        } else if ('conflicts' in r) setConflicts(conflictViews(pending, r.conflicts));
        else onError(`Nothing was applied: ${r.problem.message}`);
      },
      (e: Error) => onError(e.message),
    );
  }, [api, session, pending, onError]);

  const rebase = useCallback(
    (namespace: string) => {
      if (!session) return;
      const staged = pending.find((n) => n.namespace === namespace);
      const conflict = conflicts.find((c) => c.namespace === namespace);
      if (!staged || !conflict) return;
      const edit = { namespace, baseVersion: conflict.serverVersion, ops: staged.ops };
      void api.stageEdit(session, edit).then((r) => {
        if (r.ok) {
          setPending((p) => put(p, edit, r.change));
          setConflicts((cs) => cs.filter((c) => c.namespace !== namespace));
        } else
          onError(
            'conflict' in r ? 'the server changed it again; try once more' : r.problem.message,
          );
      });
    },
    [api, session, pending, conflicts, onError],
  );

  const restore = useCallback(
    async (ops: { namespace: string; op: PendingOp }[]): Promise<string | null> => {
      if (!session) return 'no session chosen';
      const view = await api.inspectorSession(session);
      let next = pending;
      for (const { namespace, op } of ops) {
        const version = view.namespaceViews.find((n) => n.name === namespace)?.version ?? 0;
        const r = await stage(namespace, version, op, next);
        if (r.error) return r.error;
        next = r.next;
      }
      setPending(next);
      setTab('sessions');
      return null;
    },
    [api, session, pending, stage, setTab],
  );

  return (
    <div className="inspector" hidden={tab === null}>
      <div className="inspector-body">
        {tab === 'sessions' ? (
          <div className="sessions-split">
            <SessionList api={api} selected={session} onSelect={setSession} onError={onError} />
            {session ? (
              <SessionDetail
                api={api}
                id={session}
                pending={pending}
                conflicts={conflicts}
                stage={stageOne}
                onApply={apply}
                onDiscard={(ns) => {
                  setPending((p) => (ns === undefined ? [] : drop(p, ns)));
                  setConflicts((cs) =>
                    ns === undefined ? [] : cs.filter((c) => c.namespace !== ns),
                  );
                }}
                onRebase={rebase}
                onPreviewSession={onPreviewSession}
                onGone={() => setSession(undefined)}
                onError={onError}
                onOpenLine={onOpenLine}
                serverUrl={serverUrl}
              />
            ) : (
              <div className="empty">Choose a session.</div>
            )}
          </div>
        ) : null}
        {tab === 'requests' ? (
          <RequestLog api={api} serverUrl={serverUrl} onOpenLine={onOpenLine} onError={onError} />
        ) : null}
        {tab === 'timeline' ? (
          <Timeline api={api} sessionId={session} onRestore={restore} onError={onError} />
        ) : null}
        {tab === 'exceptions' ? (
          <ExceptionsPanel
            api={api}
            serverUrl={serverUrl}
            onOpenLine={onOpenLine}
            onError={onError}
          />
        ) : null}
        {tab === 'watches' ? <WatchesPanel sessionId={session} /> : null}
        {tab === 'tests' ? (
          <TestsPanel api={api} sessionId={session} onOpenLine={onOpenLine} onError={onError} />
        ) : null}
      </div>
    </div>
  );
});
