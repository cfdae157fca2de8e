/**
 * Provenance of a session key in the inspector: the request that last wrote it (a click opens
 * the request), the template or code-module line of the write (a click opens it in the
 * editor), and on demand each value it held, with the request that set it.
 */
import { useState } from 'react';
import type { KeyBlame, KeyEvent } from '../../../common/types/journal.js';
import { formatValue } from '../../base/preview-format.js';

interface Props {
  blame: KeyBlame | undefined;
  onOpenRequest(serial: number): void;
  onOpenLine(file: string, line: number, col: number): void;
}

function when(t: number): string {
  return new Date(t).toLocaleTimeString();
}

function Writer({ ev, onOpenRequest, onOpenLine }: { ev: KeyEvent } & Omit<Props, 'blame'>) {
  return (
    <>
      <button
        className="link blame-request"
        title={`${ev.method} ${ev.path} at ${new Date(ev.time).toString()}`}
        onClick={() => onOpenRequest(ev.serial)}
      >
        {ev.outcome === 'edited' ? `#${ev.serial} Studio edit` : `#${ev.serial} ${ev.path}`}
      </button>{' '}
      <span className="muted blame-when">{when(ev.time)}</span>{' '}
      {ev.file && ev.line ? (
        <button className="link blame-line" onClick={() => onOpenLine(ev.file!, ev.line!, 1)}>
          {ev.file}:{ev.line}
        </button>
      ) : null}
    </>
  );
}

export function KeyBlameCell({ blame, onOpenRequest, onOpenLine }: Props) {
  const [open, setOpen] = useState(false);
  if (!blame) return null;
  const last = blame.last;
  return (
    <span className="key-blame" data-key={blame.key}>
      {last ? (
        <Writer ev={last} onOpenRequest={onOpenRequest} onOpenLine={onOpenLine} />
      ) : (
        <span className="muted" title="no request in the kept journal set it">
          written before the journal
        </span>
      )}
      {blame.history.length ? (
        <button
          className="small blame-history-toggle"
          aria-expanded={open}
          aria-label={`History of ${blame.key}`}
          onClick={() => setOpen(!open)}
        >
          history ({blame.history.length}
          {blame.historyCapped ? '+' : ''})
        </button>
      ) : null}
      {open ? (
        <ol className="blame-history" aria-label={`Values of ${blame.key}`}>
          {blame.history.map((ev) => (
            <li key={ev.serial} data-serial={ev.serial}>
              <code className="blame-value">
                {ev.value === null ? '(removed)' : formatValue(ev.value)}
              </code>{' '}
              <Writer ev={ev} onOpenRequest={onOpenRequest} onOpenLine={onOpenLine} />
            </li>
          ))}
          {blame.historyCapped ? <li className="muted">older values not shown</li> : null}
        </ol>
      ) : null}
    </span>
  );
}
