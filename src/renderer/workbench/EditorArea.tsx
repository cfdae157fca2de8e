/** The editor column: the open files' tabs, a bar for a file deleted on disk, and Monaco. */
import { memo, useCallback } from 'react';
import { basename } from '../base/paths.js';
import type { monaco } from '../editor/monaco-setup.js';
import type { Documents } from './documents.js';
import { EditorPane } from './EditorPane.js';
import { Tabs, type TabItem } from './Tabs.js';

interface Props {
  docs: Documents;
  tabs: string[];
  active: string | undefined;
  dirty: Set<string>;
  onSelect(path: string): void;
  onClose(path: string): void;
  onSave(path: string): void;
  onEditorReady(editor: monaco.editor.IStandaloneCodeEditor): void;
}

export const EditorArea = memo(function EditorArea({
  docs,
  tabs,
  active,
  dirty,
  onSelect,
  onClose,
  onSave,
  onEditorReady,
}: Props) {
  const items: TabItem[] = tabs.map((p) => {
    const conflict = docs.get(p)?.conflict;
    return {
      id: p,
      title: p,
      className: dirty.has(p) ? 'dirty' : '',
      closeLabel: `Close ${basename(p)}`,
      label: (
        <>
          {basename(p)}
          {conflict ? <span className="conflict"> ({conflict} on disk)</span> : null}
          <span className="dirty-marker">{dirty.has(p) ? ' ●' : ''}</span>
        </>
      ),
    };
  });
  const doc = active ? docs.get(active) : undefined;
  const close = useCallback((p: string) => onClose(p), [onClose]);
  return (
    <div className="center">
      <Tabs
        items={items}
        active={active}
        onSelect={onSelect}
        onClose={close}
        label="Open files"
        className="editor-tabs"
      />
      {doc?.conflict === 'deleted' ? (
        <div className="file-bar" role="alert">
          {basename(doc.path)} was deleted on disk. Your text is kept here.
          <button onClick={() => onSave(doc.path)}>Save it again</button>
          <button onClick={() => onClose(doc.path)}>Close</button>
        </div>
      ) : null}
      <EditorPane doc={doc} onEditorReady={onEditorReady} />
    </div>
  );
});
