/** Every session in the store: paged, searchable, refreshed live as requests come in. */
import { formatWhen } from '../../base/dates.js';
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { InspectorApi, InspectorSessionRow, Page } from '../../../common/api-inspector.js';
import { debounce } from '../../base/debounce.js';

const PAGE = 25;

interface Props {
  api: InspectorApi;
  selected: string | undefined;
  onSelect(id: string): void;
  onError(message: string): void;
}

export function formatBytes(n: number): string {
  return n < 1024
    ? `${n} B`
    : n < 1024 * 1024
      ? `${(n / 1024).toFixed(1)} KiB`
      : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function SessionList({ api, selected, onSelect, onError }: Props) {
  const [search, setSearch] = useState('');
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<Page<InspectorSessionRow> | undefined>();

  const load = useCallback(() => {
    api
      .inspectorSessions({ offset, limit: PAGE, search })
      .then(setPage, (e: Error) => onError(e.message));
  }, [api, offset, search, onError]);
  const reload = useMemo(() => debounce(load, 150), [load]);

  useEffect(() => {
    load();
    const subs = [
      api.onSessionChanged(() => reload.call()),
      // a preview (a dry run) changed no stored session
      api.onRequestFinished((e) => {
        if (e.outcome !== 'preview') reload.call();
      }),
    ];
    return () => subs.forEach((s) => s.dispose());
  }, [api, load, reload]);

  return (
    <div className="session-list">
      <div className="toolbar">
        <input
          aria-label="Search sessions"
          placeholder="Search id, namespace, key or value (id: ns: key: text:)"
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setOffset(0);
          }}
        />
        <button
          onClick={() =>
            api.createSession().then(
              (s) => {
                onSelect(s.id);
                load();
              },
              (e: Error) => onError(e.message),
            )
          }
        >
          New session
        </button>
      </div>
      <table className="grid" aria-label="Sessions">
        <thead>
          <tr>
            <th>id</th>
            <th>created</th>
            <th>last access</th>
            <th>expires</th>
            <th>size</th>
            <th>namespaces</th>
          </tr>
        </thead>
        <tbody>
          {page?.items.map((s) => (
            <tr
              key={s.id}
              data-id={s.id}
              className={s.id === selected ? 'selected' : ''}
              onClick={() => onSelect(s.id)}
            >
              <td className="mono" title={s.id}>
                {s.id.slice(0, 12)}…
              </td>
              <td title={new Date(s.created).toString()}>{formatWhen(s.created)}</td>
              <td title={new Date(s.accessed).toString()}>{formatWhen(s.accessed)}</td>
              <td title={new Date(s.expires).toString()}>{formatWhen(s.expires)}</td>
              <td>{formatBytes(s.size)}</td>
              <td>{s.namespaces.map((n) => (n === '' ? "''" : n)).join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {page && page.total === 0 ? (
        <div className="empty">No sessions{search ? ' match' : ' yet'}.</div>
      ) : null}
      {page && page.total > PAGE ? (
        <div className="pager">
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            ‹ Newer
          </button>
          <span>
            {offset + 1}–{Math.min(offset + PAGE, page.total)} of {page.total}
          </span>
          <button disabled={offset + PAGE >= page.total} onClick={() => setOffset(offset + PAGE)}>
            Older ›
          </button>
        </div>
      ) : null}
    </div>
  );
}
