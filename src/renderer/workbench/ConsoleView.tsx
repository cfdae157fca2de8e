/** The engine's log lines, one time stamp each; a traceback keeps its lines. */
import { memo, useEffect, useRef } from 'react';
import type { LogLine } from '../../common/api.js';
import { splitStamp } from '../base/log-time.js';

export const ConsoleView = memo(function ConsoleView({ logs }: { logs: LogLine[] }) {
  const end = useRef<HTMLDivElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [logs]);
  return (
    <div className="console" aria-label="Console">
      {logs.map((l, i) => {
        const { time, text } = splitStamp(l.text, l.time);
        return (
          <div key={i} className={`log-line ${l.kind}`}>
            <time className="log-time" dateTime={time.toISOString()}>
              {time.toLocaleTimeString()}
            </time>{' '}
            {text}
          </div>
        );
      })}
      <div ref={end} />
    </div>
  );
});
