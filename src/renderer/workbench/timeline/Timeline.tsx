/**
 * Session time travel: one tick per request or edit of a session, coloured by outcome. One tick
 * chosen shows the namespaces as they stood after it; a second (Shift+click) shows the diff
 * between the two. "Restore this state" stages the restore as pending changes.
 */
import { formatWhen } from '../../base/dates.js';
import { namespaceLabel } from '../../base/namespace.js';
import { useCallback, useEffect, useState } from 'react';
import type {
  InspectorApi,
  PendingOp,
  SessionStateAt,
  TimelineTick,
} from '../../../common/api-inspector.js';
import { ValueTree } from '../inspector/ValueTree.js';
import { DiffView } from '../requestlog/DiffView.js';
import { OUTCOME_LABELS } from '../requestlog/filters.js';

interface Props {
  api: InspectorApi;
  sessionId: string | undefined;
  /** stages the restore of each namespace (pending changes); resolves to an error or null */
  onRestore(ops: { namespace: string; op: PendingOp }[]): Promise<string | null>;
  onError(message: string): void;
}

function tickWhat(t: TimelineTick): string {
  return t.edit ?? `${t.method} ${t.path} → ${t.status}`;
}

export function Timeline({ api, sessionId, onRestore, onError }: Props) {
  const [ticks, setTicks] = useState<TimelineTick[]>([]);
  const [a, setA] = useState<SessionStateAt | undefined>();
  const [b, setB] = useState<SessionStateAt | undefined>();
  const [message, setMessage] = useState<string | undefined>();

  const load = useCallback(() => {
    if (!sessionId) return;
    api.sessionTimeline(sessionId).then(setTicks, (e: Error) => onError(e.message));
  }, [api, sessionId, onError]);
  useEffect(() => {
    setA(undefined);
    setB(undefined);
    setTicks([]);
    load();
    const sub = api.onRequestFinished((e) => {
      if (e.sessionId === sessionId && e.outcome !== 'preview') load(); // dry runs are not on it
    });
    return () => sub.dispose();
  }, [api, sessionId, load]);

  if (!sessionId) return <div className="empty">Choose a session in the Sessions tab.</div>;

  const choose = (serial: number, second: boolean): void => {
    api.sessionStateAt(sessionId, serial).then(
      (s) => {
        setMessage(undefined);
        if (second && a) setB(s);
        else {
          setA(s);
          setB(undefined);
        }
      },
      (e: Error) => onError(e.message),
    );
  };
  const restore = (): void => {
    if (!a) return;
    const ops = a.namespaces
      .filter((n) => n.restore)
      .map((n) => ({ namespace: n.name, op: n.restore! }));
    const missing = a.namespaces
      .filter((n) => !n.restore && !n.unchanged)
      .map((n) => namespaceLabel(n.name));
    if (ops.length === 0) {
      setMessage(
        missing.length
          ? `The journal kept no restorable state of ${missing.join(', ')}.`
          : 'Nothing to restore: the session is as it was.',
      );
      return;
    }
    void onRestore(ops).then((err) =>
      setMessage(
        err ??
          `Staged the restore of #${a.serial} as pending changes (Sessions tab).${missing.length ? ` Not restorable: ${missing.join(', ')}.` : ''}`,
      ),
    );
  };

  /** the tick as the user chose it: its number, what it was and when */
  const tickLabel = (serial: number): string => {
    const t = ticks.find((x) => x.serial === serial);
    return t ? `#${serial} · ${tickWhat(t)} · ${formatWhen(t.time)}` : `#${serial}`;
  };

  return (
    <div className="timeline">
      <div className="ticks" role="listbox" aria-label="Timeline">
        {ticks.length === 0 ? (
          <span className="muted">No recorded requests for this session.</span>
        ) : null}
        {ticks.map((t, i) => {
          const clock = new Date(t.time).toLocaleTimeString();
          const prev = ticks[i - 1];
          // the axis: a tick's time, written where it differs from the tick before
          const axis = !prev || new Date(prev.time).toLocaleTimeString() !== clock ? clock : '';
          return (
            <span key={t.serial} className="tick-col">
              <button
                role="option"
                aria-selected={a?.serial === t.serial || b?.serial === t.serial}
                data-serial={t.serial}
                className={`tick outcome-${t.outcome} ${a?.serial === t.serial ? 'tick-a' : ''} ${b?.serial === t.serial ? 'tick-b' : ''}`}
                title={`#${t.serial} ${formatWhen(t.time)} ${tickWhat(t)} (${OUTCOME_LABELS[t.outcome]})`}
                onClick={(e) => choose(t.serial, e.shiftKey)}
              >
                {t.serial}
              </button>
              <span className="tick-time" aria-hidden="true">
                {axis}
              </span>
            </span>
          );
        })}
      </div>
      <div className="muted hint">
        Click a tick to see the session after it; Shift+click a second one to compare.
      </div>
      {message ? (
        <div className="timeline-message" role="status">
          {message}
        </div>
      ) : null}
      {a && !b ? (
        <section aria-label="State after tick">
          <div className="toolbar">
            <b className="tick-label">After {tickLabel(a.serial)}</b>
            <button onClick={restore}>Restore this state</button>
          </div>
          {a.namespaces.map((n) => (
            <div key={n.name} className="namespace" data-namespace={n.name}>
              <div className="ns-name">
                {namespaceLabel(n.name)}{' '}
                {n.unchanged ? <span className="muted">(as now)</span> : null}
              </div>
              {n.preview ? (
                <ValueTree value={n.preview} />
              ) : (
                <div className="muted">did not exist</div>
              )}
            </div>
          ))}
        </section>
      ) : null}
      {a && b ? (
        <section aria-label="Diff between ticks">
          <b className="tick-label">
            {tickLabel(a.serial)} → {tickLabel(b.serial)}
          </b>
          {[...new Set([...a.namespaces, ...b.namespaces].map((n) => n.name))].map((name) => (
            <div key={name} className="ns-change">
              <div className="ns-name">{namespaceLabel(name)}</div>
              <DiffView
                before={a.namespaces.find((n) => n.name === name)?.preview ?? null}
                after={b.namespaces.find((n) => n.name === name)?.preview ?? null}
                label={`timeline ${name}`}
              />
            </div>
          ))}
        </section>
      ) : null}
    </div>
  );
}
