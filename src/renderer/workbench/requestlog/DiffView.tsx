/** A namespace before → after in a read-only Monaco diff editor (one top-level key per line). */
import { useEffect, useRef } from 'react';
import type { PreviewValue } from '../../../common/types/session.js';
import { formatValue } from '../../base/preview-format.js';
import { mountDiffEditor } from '../../editor/diff-editor.js';
import { monaco } from '../../editor/monaco-setup.js';

export function namespaceText(v: PreviewValue | null): string {
  if (!v) return '';
  if (v.t !== 'dict') return formatValue(v) + '\n';
  return (
    v.v.map(([k, x]) => `${k}: ${formatValue(x)}\n`).join('') + (v.more ? `… ${v.more} more\n` : '')
  );
}

interface Props {
  before: PreviewValue | null;
  after: PreviewValue | null;
  /** a label for tests and screen readers */
  label: string;
}

export function DiffView({ before, after, label }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const original = namespaceText(before);
  const modified = namespaceText(after);
  const lines = Math.max(original.split('\n').length, modified.split('\n').length);
  useEffect(() => {
    if (!host.current) return;
    const a = monaco.editor.createModel(original, 'plaintext');
    const b = monaco.editor.createModel(modified, 'plaintext');
    const unmount = mountDiffEditor(
      host.current,
      { original: a, modified: b },
      {
        renderSideBySide: true,
        minimap: { enabled: false },
        scrollBeyondLastLine: false,
        fontSize: 12,
        lineNumbers: 'off',
        renderOverviewRuler: false,
      },
    );
    return () => {
      unmount();
      a.dispose();
      b.dispose();
    };
  }, [original, modified]);
  return (
    <div
      className="diff-view"
      aria-label={label}
      data-before={original}
      data-after={modified}
      ref={host}
      style={{ height: `${Math.min(Math.max(lines, 2), 16) * 18 + 8}px` }}
    />
  );
}
