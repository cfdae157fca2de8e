/** The text on disk beside the unsaved text, before a save decides which one stays. */
import { useEffect, useRef } from 'react';
import { mountDiffEditor } from '../editor/diff-editor.js';
import { monaco } from '../editor/monaco-setup.js';
import type { Documents } from './documents.js';

interface Props {
  docs: Documents;
  path: string;
  disk: string;
  onResolve(choice: 'overwrite' | 'reload' | 'cancel'): void;
}

export function CompareDialog({ docs, path, disk, onResolve }: Props) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const doc = docs.get(path);
    if (!host.current || !doc) return;
    const original = monaco.editor.createModel(disk, doc.model.getLanguageId());
    const unmount = mountDiffEditor(
      host.current,
      { original, modified: doc.model },
      { minimap: { enabled: false } },
    );
    return () => {
      unmount();
      original.dispose();
    };
  }, [docs, path, disk]);
  return (
    <div className="dialog-backdrop" role="presentation">
      <div className="dialog compare" role="dialog" aria-label={`Compare ${path}`}>
        <div className="dialog-title">{path}: on disk (left) and yours (right)</div>
        <div className="compare-host" ref={host} />
        <div className="dialog-buttons">
          <button onClick={() => onResolve('overwrite')}>Overwrite with mine</button>
          <button onClick={() => onResolve('reload')}>Reload from disk</button>
          <button onClick={() => onResolve('cancel')}>Cancel</button>
        </div>
      </div>
    </div>
  );
}
