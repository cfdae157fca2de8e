/**
 * Every request to the embedded server, live, newest first: filters, keyboard navigation
 * (↑/↓, Home/End), and the chosen request's detail beside the list.
 */
import {
  startTransition,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
} from 'react';
import { servedByMany, servedByShort, servedByText } from './served-by.js';
import type { InspectorApi, JournalEntry, RequestStarted } from '../../../common/api-inspector.js';
import { parseStatusFilter } from '../../../common/api-inspector.js';
import { Field } from '../Field.js';
import { useDialogsContext } from '../hooks/useDialogs.js';
import { matches, NO_FILTERS, OUTCOME_LABELS, type LogFilters } from './filters.js';
import { RequestDetail } from './RequestDetail.js';

const LIMIT = 200;

interface Props {
  api: InspectorApi;
  serverUrl: string | undefined;
  /** filter by this session when set from elsewhere (the inspector) */
  sessionFilter?: string;
  onOpenLine(file: string, line: number, col: number): void;
  onError(message: string): void;
}

function statusProblem(text: string): string | null {
  return parseStatusFilter(text.trim())
    ? null
    : `'${text.trim()}': a status such as 404, or a class such as 5xx`;
}

export function OutcomeBadge({ outcome }: { outcome: JournalEntry['outcome'] }) {
  return <span className={`badge outcome-${outcome}`}>{OUTCOME_LABELS[outcome]}</span>;
}

export function RequestLog({ api, serverUrl, sessionFilter, onOpenLine, onError }: Props) {
  const [filters, setFilters] = useState<LogFilters>({
    ...NO_FILTERS,
    sessionId: sessionFilter ?? '',
  });
  const [entries, setEntries] = useState<JournalEntry[]>([]);
  const [running, setRunning] = useState<RequestStarted[]>([]);
  const [selected, setSelected] = useState<number | undefined>();
  const { confirm } = useDialogsContext();
  const list = useRef<HTMLDivElement>(null);
  const filtersRef = useRef(filters);
  filtersRef.current = filters;

  useEffect(() => {
    if (sessionFilter !== undefined) setFilters((f) => ({ ...f, sessionId: sessionFilter }));
  }, [sessionFilter]);

  const load = useCallback(() => {
    api
      .requestLog({ ...filters, before: 0, limit: LIMIT })
      .then(setEntries, (e: Error) => onError(e.message));
  }, [api, filters, onError]);

  useEffect(() => {
    load();
    const subs = [
      // Transitions: a live row must not hold up what the user waits for (the preview in
      // particular, which journals a request of its own on every edit).
      api.onRequestStarted((r) =>
        startTransition(() => setRunning((rs) => [r, ...rs].slice(0, 50))),
      ),
      api.onRequestFinished((e) =>
        startTransition(() => {
          setRunning((rs) => rs.filter((r) => r.serial !== e.serial));
          if (matches(filtersRef.current, e))
            setEntries((es) => [e, ...es.filter((x) => x.serial !== e.serial)].slice(0, LIMIT));
        }),
      ),
    ];
    return () => subs.forEach((s) => s.dispose());
  }, [api, load]);

  useEffect(() => {
    list.current?.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const onKey = (e: KeyboardEvent): void => {
    if (entries.length === 0) return;
    const i = entries.findIndex((x) => x.serial === selected);
    let next = i;
    if (e.key === 'ArrowDown') next = Math.min(entries.length - 1, i + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, i < 0 ? 0 : i - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = entries.length - 1;
    else if (e.key === 'Escape') {
      setSelected(undefined);
      return;
    } else return;
    e.preventDefault();
    setSelected(entries[next]!.serial);
  };

  // applied when committed (Enter, leaving the field) and valid: never a half-typed filter
  const [statusText, setStatusText] = useState(filters.status);
  const set = (k: keyof LogFilters) => (e: { target: { value: string } }) =>
    setFilters((f) => ({ ...f, [k]: e.target.value }));
  const chosen = entries.find((x) => x.serial === selected);
  // the process column only where more than one process served what is listed (a cluster)
  const cluster = useMemo(() => servedByMany(entries), [entries]);

  const clear = async (): Promise<void> => {
    const sure = await confirm(
      'Clear log',
      'Clear the request log? Every recorded request goes, and with it every session timeline (time travel and replay). Sessions themselves stay.',
      'Clear log',
    );
    if (!sure) return;
    await api.clearRequestLog().then(
      () => {
        setEntries([]);
        setSelected(undefined);
      },
      (e: Error) => onError(e.message),
    );
  };

  return (
    <div className="request-log">
      <div className="log-side">
        <div className="toolbar">
          <input
            aria-label="Filter by path"
            placeholder="path"
            value={filters.path}
            onChange={set('path')}
          />
          <Field
            aria-label="Filter by status"
            placeholder="status (404, 5xx)"
            className="narrow"
            value={statusText}
            onChange={setStatusText}
            validate={statusProblem}
            onCommit={(status) => setFilters((f) => ({ ...f, status: status.trim() }))}
          />
          <select aria-label="Filter by outcome" value={filters.outcome} onChange={set('outcome')}>
            <option value="">any outcome</option>
            {Object.entries(OUTCOME_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
          <input
            aria-label="Filter by session"
            placeholder="session id"
            value={filters.sessionId}
            onChange={set('sessionId')}
          />
          <label className="toggle" title="Studio's own preview dry runs">
            <input
              type="checkbox"
              checked={filters.previews === 'shown'}
              onChange={(e) =>
                setFilters((f) => ({ ...f, previews: e.target.checked ? 'shown' : 'hidden' }))
              }
            />{' '}
            previews
          </label>
          <button onClick={() => void clear()}>Clear log</button>
        </div>
        <div className="log-rows" ref={list} tabIndex={0} onKeyDown={onKey} aria-label="Requests">
          <table className="grid">
            <thead>
              <tr>
                <th className="c-serial">#</th>
                <th className="c-time wide-only">time</th>
                <th className="c-method">method</th>
                <th className="path">path</th>
                <th className="c-status">status</th>
                <th className="c-ms wide-only">ms</th>
                <th className="c-session wide-only">session</th>
                {cluster ? (
                  <th className="c-process wide-only" title="the engine process that served it">
                    process
                  </th>
                ) : null}
                <th className="c-outcome">outcome</th>
              </tr>
            </thead>
            <tbody>
              {running.map((r) => (
                <tr key={`r${r.serial}`} className="running">
                  <td>{r.serial}</td>
                  <td className="wide-only">{new Date(r.time).toLocaleTimeString()}</td>
                  <td>{r.method}</td>
                  <td className="path">{r.path}</td>
                  <td colSpan={cluster ? 5 : 4}>running…</td>
                </tr>
              ))}
              {entries.map((e) => (
                <tr
                  key={e.serial}
                  data-serial={e.serial}
                  data-outcome={e.outcome}
                  className={e.serial === selected ? 'selected' : ''}
                  onClick={() => setSelected(e.serial)}
                >
                  <td>{e.serial}</td>
                  <td className="wide-only">{new Date(e.time).toLocaleTimeString()}</td>
                  <td>{e.method}</td>
                  <td className="path" title={e.path + (e.query ? `?${e.query}` : '')}>
                    {e.outcome === 'edited' ? e.edit : e.path + (e.query ? `?${e.query}` : '')}
                  </td>
                  <td className={e.status >= 500 ? 'status-5' : e.status >= 400 ? 'status-4' : ''}>
                    {e.status}
                  </td>
                  <td className="wide-only">{Math.round(e.durationMs)}</td>
                  <td className="mono wide-only" title={e.sessionId ?? ''}>
                    {e.sessionId ? e.sessionId.slice(0, 8) : '—'}
                  </td>
                  {cluster ? (
                    <td className="mono wide-only c-process" title={servedByText(e.servedBy)}>
                      {servedByShort(e.servedBy)}
                    </td>
                  ) : null}
                  <td>
                    <OutcomeBadge outcome={e.outcome} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {entries.length === 0 && running.length === 0 ? (
            <div className="empty">
              No requests
              {filters.path || filters.status || filters.outcome || filters.sessionId
                ? ' match'
                : ' yet'}
              .
            </div>
          ) : null}
        </div>
      </div>
      {chosen ? (
        <RequestDetail
          key={chosen.serial}
          api={api}
          entry={chosen}
          serverUrl={serverUrl}
          onOpenLine={onOpenLine}
          onError={onError}
        />
      ) : (
        <div className="log-detail empty">Choose a request (↑/↓).</div>
      )}
    </div>
  );
}
