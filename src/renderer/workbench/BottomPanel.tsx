/** Problems (compile + runtime markers) and the server's log console. */
import { memo, useEffect, useRef, useState } from 'react';
import type { LocatedProblem, LogLine } from '../../common/api.js';

interface Props {
  problems: LocatedProblem[];
  logs: LogLine[];
  onGoto(problem: LocatedProblem): void;
  onClearLogs(): void;
}

export const BottomPanel = memo(function BottomPanel({
  problems,
  logs,
  onGoto,
  onClearLogs,
}: Props) {
  const [tab, setTab] = useState<'problems' | 'console'>('problems');
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [logs, tab]);
  return (
    <div className="bottom-panel">
      <div className="panel-tabs" role="tablist">
        <button role="tab" aria-selected={tab === 'problems'} onClick={() => setTab('problems')}>
          Problems <span className="count">{problems.length}</span>
        </button>
        <button role="tab" aria-selected={tab === 'console'} onClick={() => setTab('console')}>
          Console <span className="count">{logs.length}</span>
        </button>
        {tab === 'console' ? (
          <button className="panel-action" onClick={onClearLogs}>
            Clear
          </button>
        ) : null}
      </div>
      {tab === 'problems' ? (
        <ul className="problems" aria-label="Problems">
          {problems.length === 0 ? <li className="empty">No problems.</li> : null}
          {problems.map((p, i) => (
            <li key={i} className={`problem ${p.stage}`} onClick={() => onGoto(p)}>
              <span className="problem-loc">
                {p.file}:{p.line}:{p.col}
              </span>{' '}
              <span className="problem-msg">{p.message}</span>
            </li>
          ))}
        </ul>
      ) : (
        <div className="console" aria-label="Console">
          {logs.map((l, i) => (
            <div key={i} className={`log-line ${l.kind}`}>
              {new Date(l.time).toLocaleTimeString()} {l.text}
            </div>
          ))}
          <div ref={end} />
        </div>
      )}
    </div>
  );
});
