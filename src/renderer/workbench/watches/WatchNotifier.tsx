/**
 * Notifications for watched sessions, namespaces and keys: each finished request that changed
 * one shows a toast naming the request and what changed. Mounted once, whatever view is shown.
 */
import { useEffect, useRef, useState } from 'react';
import type { InspectorApi } from '../../../common/api-inspector.js';
import {
  loadWatches,
  recordHits,
  subscribeWatches,
  watchHit,
  watchLabel,
  type WatchHit,
} from './watches.js';
import './watches.css';

const SHOWN = 4;
const SHOW_MS = 8000;

export function WatchNotifier({ api }: { api: InspectorApi }) {
  const [toasts, setToasts] = useState<WatchHit[]>([]);
  const watches = useRef(loadWatches());

  useEffect(() => subscribeWatches((ws) => (watches.current = ws)), []);

  useEffect(() => {
    const sub = api.onRequestFinished((e) => {
      const found = watches.current
        .map((w) => watchHit(w, e))
        .filter((h): h is WatchHit => h !== null);
      if (found.length === 0) return;
      recordHits(found);
      setToasts((ts) => [...found, ...ts].slice(0, SHOWN));
      setTimeout(() => setToasts((ts) => ts.filter((t) => !found.includes(t))), SHOW_MS);
    });
    return () => sub.dispose();
  }, [api]);

  if (toasts.length === 0) return null;
  return (
    <div className="watch-toasts" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={`${t.serial}|${watchLabel(t.watch)}`} className="watch-toast">
          <button
            className="watch-toast-close"
            aria-label="Dismiss"
            onClick={() => setToasts((ts) => ts.filter((x) => x !== t))}
          >
            ×
          </button>
          <div className="watch-toast-title">Watched {watchLabel(t.watch)} changed</div>
          <div className="mono">
            #{t.serial} {t.method} {t.path}
          </div>
          {t.changes.map((c) => (
            <div key={c} className="mono watch-change">
              {c}
            </div>
          ))}
        </div>
      ))}
    </div>
  );
}
