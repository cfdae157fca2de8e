/**
 * The watched items (a session, a namespace or one key) with a form to add one (the session
 * chosen in the inspector comes filled in), and the latest changes to them.
 */
import { useEffect, useState } from 'react';
import {
  loadWatches,
  recentHits,
  sameWatch,
  saveWatches,
  subscribeHits,
  subscribeWatches,
  watchLabel,
  type Watch,
} from './watches.js';
import './watches.css';

interface Props {
  sessionId: string | undefined;
}

export function WatchesPanel({ sessionId }: Props) {
  const [watches, setWatches] = useState<Watch[]>(loadWatches);
  const [hits, setHits] = useState(recentHits);
  const [session, setSession] = useState(sessionId ?? '');
  const [namespace, setNamespace] = useState('');
  const [key, setKey] = useState('');
  const [wholeSession, setWholeSession] = useState(true);

  useEffect(() => subscribeWatches(setWatches), []);
  useEffect(() => subscribeHits(setHits), []);
  useEffect(() => {
    if (sessionId) setSession(sessionId);
  }, [sessionId]);

  const add = (): void => {
    const w: Watch = {
      sessionId: session.trim(),
      ...(wholeSession ? {} : { namespace }),
      ...(!wholeSession && key.trim() ? { key: key.trim() } : {}),
    };
    if (!w.sessionId || watches.some((x) => sameWatch(x, w))) return;
    saveWatches([...watches, w]);
  };

  return (
    <div className="watches-panel">
      <div className="toolbar">
        <strong>Watch</strong>
        <input
          aria-label="Watch session"
          placeholder="session id"
          value={session}
          onChange={(e) => setSession(e.target.value)}
        />
        <label>
          <input
            type="checkbox"
            checked={wholeSession}
            onChange={(e) => setWholeSession(e.target.checked)}
          />
          every namespace
        </label>
        <input
          aria-label="Watch namespace"
          placeholder="namespace ('' = standard)"
          disabled={wholeSession}
          value={namespace}
          onChange={(e) => setNamespace(e.target.value)}
        />
        <input
          aria-label="Watch key"
          placeholder="key (empty: every key)"
          disabled={wholeSession}
          value={key}
          onChange={(e) => setKey(e.target.value)}
        />
        <button disabled={!session.trim()} onClick={add}>
          Add watch
        </button>
      </div>
      <ul className="watch-list" aria-label="Watches">
        {watches.map((w) => (
          <li key={watchLabel(w) + w.sessionId}>
            <span className="mono">{watchLabel(w)}</span>
            <button
              aria-label={`Stop watching ${watchLabel(w)}`}
              onClick={() => saveWatches(watches.filter((x) => !sameWatch(x, w)))}
            >
              Stop
            </button>
          </li>
        ))}
        {watches.length === 0 ? <li className="empty">Nothing watched yet.</li> : null}
      </ul>
      <div className="toolbar">
        <strong>Changes</strong>
      </div>
      <ul className="watch-hits" aria-label="Changes to watched items">
        {hits.map((h, i) => (
          <li key={i}>
            <span className="muted">{new Date(h.time).toLocaleTimeString()}</span>{' '}
            <span className="mono">
              #{h.serial} {h.method} {h.path}
            </span>{' '}
            — {watchLabel(h.watch)}: {h.changes.join(', ')}
          </li>
        ))}
      </ul>
    </div>
  );
}
