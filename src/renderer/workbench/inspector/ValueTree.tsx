/** A previewed Python value as a tree: dicts and sequences expand, every node shows its type. */
import type { ReactNode } from 'react';
import type { PreviewValue } from '../../../common/types/session.js';
import { formatValue } from '../../base/preview-format.js';
import { typeLabel } from './literal.js';

interface Props {
  value: PreviewValue;
  label?: string;
  depth?: number;
  /** extra controls shown beside a top-level key (edit, delete) */
  actions?: (key: string, value: PreviewValue) => ReactNode;
  /** a top-level key being edited in place: its editor stands in for its value */
  editing?: { key: string; editor: ReactNode };
}

export function ValueTree({ value, label, depth = 0, actions, editing }: Props) {
  const children: [string, PreviewValue][] | null =
    value.t === 'dict'
      ? value.v
      : value.t === 'list' || value.t === 'tuple' || value.t === 'set' || value.t === 'frozenset'
        ? value.v.map((x, i): [string, PreviewValue] => [String(i), x])
        : null;
  const head = (
    <>
      {label !== undefined ? <span className="vt-key">{label}</span> : null}
      {label !== undefined ? ': ' : null}
      {children ? null : <span className={`vt-value vt-${value.t}`}>{formatValue(value)}</span>}
      <span className="vt-type">{typeLabel(value)}</span>
    </>
  );
  if (!children)
    return (
      <div className="vt-leaf" data-key={label}>
        {head}
      </div>
    );
  const more =
    'more' in value && value.more ? (
      <div className="vt-more">… {value.more} more not shown</div>
    ) : null;
  return (
    <details className="vt-node" open={depth < 2} data-key={label}>
      <summary>{head}</summary>
      <div className="vt-children">
        {children.map(([k, v]) => (
          <div key={k} className="vt-row">
            {depth === 0 && editing?.key === k ? (
              <div className="vt-leaf vt-editing" data-key={k}>
                <span className="vt-key">{k}</span>: {editing.editor}
              </div>
            ) : (
              <>
                <ValueTree value={v} label={k} depth={depth + 1} />
                {depth === 0 && actions ? (
                  <span className="vt-actions">{actions(k, v)}</span>
                ) : null}
              </>
            )}
          </div>
        ))}
        {more}
      </div>
    </details>
  );
}
