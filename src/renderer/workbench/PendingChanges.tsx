/** What a previewed page would have changed in its session: shown, never committed. */
import type { NamespaceChange } from '../../common/api.js';
import { formatValue } from '../base/preview-format.js';

export function PendingChanges({ pending }: { pending: NamespaceChange[] }) {
  return (
    <div className="pending">
      <div className="pending-title">Pending session changes (dry run — nothing was saved)</div>
      {pending.length === 0 ? (
        <div className="empty">none</div>
      ) : (
        <ul>
          {pending.map((c) => (
            <li key={c.name} className="pending-ns">
              <span className="ns-name">{c.name === '' ? 'session' : `session '${c.name}'`}</span>
              {c.before === null ? ' (new)' : c.after === null ? ' (deleted)' : ''}
              <div className="pending-diff">
                {c.diff.added.map((k) => (
                  <div key={'a' + k} className="diff-added">
                    + {k}
                  </div>
                ))}
                {c.diff.changed.map((k) => (
                  <div key={'c' + k} className="diff-changed">
                    ~ {k}
                  </div>
                ))}
                {c.diff.removed.map((k) => (
                  <div key={'r' + k} className="diff-removed">
                    − {k}
                  </div>
                ))}
              </div>
              <div className="pending-values">
                <div>before: {formatValue(c.before)}</div>
                <div>after: {formatValue(c.after)}</div>
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
