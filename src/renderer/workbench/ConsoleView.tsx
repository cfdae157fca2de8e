/**
 * The engine's log lines, one time stamp each; a traceback keeps its lines. Lines about Studio's
 * own previews are on a channel of their own, so that real traffic is never buried: the engine
 * names the request each line is about and says whether it was a preview.
 */
import { memo, useEffect, useRef, useState } from 'react';
import type { LogLine } from '../../common/api.js';
import { splitStamp } from '../base/log-time.js';

type Channel = 'server' | 'preview';

export const ConsoleView = memo(function ConsoleView({ logs }: { logs: LogLine[] }) {
  const [channel, setChannel] = useState<Channel>('server');
  const end = useRef<HTMLDivElement>(null);
  const shown = logs.filter((l) => (channel === 'preview') === !!l.preview);
  const previews = logs.length - logs.filter((l) => !l.preview).length;
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
  }, [logs, channel]);
  return (
    <div className="console-view">
      <div className="toolbar">
        <select
          aria-label="Console channel"
          value={channel}
          onChange={(e) => setChannel(e.target.value as Channel)}
        >
          <option value="server">Server ({logs.length - previews})</option>
          <option value="preview">Previews ({previews})</option>
        </select>
      </div>
      <div className="console" aria-label="Console" data-channel={channel}>
        {shown.map((l, i) => {
          const { time, text } = splitStamp(l.text, l.time);
          return (
            <div key={i} className={`log-line ${l.kind}`} data-request={l.request}>
              <time className="log-time" dateTime={time.toISOString()}>
                {time.toLocaleTimeString()}
              </time>{' '}
              {text}
            </div>
          );
        })}
        <div ref={end} />
      </div>
    </div>
  );
});
