/**
 * The journal's failures grouped by exception type and raising line: count, first and last
 * seen. A click on a group opens its latest request beside the list (any of its requests can be
 * chosen); the raising line opens in the editor.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ExceptionGroup, ExceptionsApi } from '../../../common/api-exceptions.js';
import type { InspectorApi, JournalEntry } from '../../../common/api-inspector.js';
import { RequestDetail } from '../requestlog/RequestDetail.js';
import './exceptions.css';

interface Props {
  api: InspectorApi & ExceptionsApi;
  serverUrl: string | undefined;
  onOpenLine(file: string, line: number, col: number): void;
  onError(message: string): void;
}

const groupKey = (g: ExceptionGroup): string => `${g.kind}|${g.type}|${g.file}|${g.line}`;

export function ExceptionsPanel({ api, serverUrl, onOpenLine, onError }: Props) {
  const [groups, setGroups] = useState<ExceptionGroup[]>([]);
  const [chosen, setChosen] = useState<string | undefined>();
  const [entry, setEntry] = useState<JournalEntry | undefined>();
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const load = useCallback(() => {
    api.exceptionGroups().then(setGroups, (e: Error) => onError(e.message));
  }, [api, onError]);

  useEffect(() => {
    load();
    // a failed request changes the counts: reload, at most a few times a second
    const sub = api.onRequestFinished((e) => {
      if (!e.cause || timer.current) return;
      timer.current = setTimeout(() => {
        timer.current = undefined;
        load();
      }, 300);
    });
    return () => {
      sub.dispose();
      clearTimeout(timer.current);
    };
  }, [api, load]);

  const openRequest = (serial: number): void => {
    api.requestEntry(serial).then(setEntry, (e: Error) => onError(e.message));
  };

  const group = groups.find((g) => groupKey(g) === chosen);

  return (
    <div className="exceptions-panel">
      <div className="exceptions-side">
        <div className="toolbar">
          <strong>Exceptions</strong>
          <button onClick={load}>Refresh</button>
          <span className="muted">
            {groups.reduce((n, g) => n + g.count, 0)} failed request(s) in {groups.length} group(s)
          </span>
        </div>
        <div className="exceptions-rows">
          <table className="grid">
            <thead>
              <tr>
                <th>type</th>
                <th>raised at</th>
                <th>count</th>
                <th>first seen</th>
                <th>last seen</th>
                <th>latest message</th>
              </tr>
            </thead>
            <tbody>
              {groups.map((g) => (
                <tr
                  key={groupKey(g)}
                  data-type={g.type}
                  className={groupKey(g) === chosen ? 'selected' : ''}
                  onClick={() => {
                    setChosen(groupKey(g));
                    openRequest(g.latest);
                  }}
                >
                  <td className="mono">{g.type}</td>
                  <td>
                    {g.file && g.line ? (
                      <button
                        className="link"
                        onClick={(ev) => {
                          ev.stopPropagation();
                          onOpenLine(g.file!, g.line!, g.col ?? 1);
                        }}
                      >
                        {g.file}:{g.line}
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td className="count">{g.count}</td>
                  <td>{new Date(g.firstSeen).toLocaleTimeString()}</td>
                  <td>{new Date(g.lastSeen).toLocaleTimeString()}</td>
                  <td className="message">{g.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {groups.length === 0 ? (
            <div className="empty">No failed requests in the journal.</div>
          ) : null}
        </div>
        {group ? (
          <div className="exceptions-requests" aria-label="Requests of the group">
            <span className="muted">requests:</span>
            {group.serials.map((s) => (
              <button
                key={s}
                className={`link ${entry?.serial === s ? 'current' : ''}`}
                onClick={() => openRequest(s)}
              >
                #{s}
              </button>
            ))}
          </div>
        ) : null}
      </div>
      {entry ? (
        <RequestDetail
          key={entry.serial}
          api={api}
          entry={entry}
          serverUrl={serverUrl}
          onOpenLine={onOpenLine}
          onError={onError}
        />
      ) : (
        <div className="log-detail empty">Choose a group to open its latest request.</div>
      )}
    </div>
  );
}
