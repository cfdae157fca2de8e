/** The Monaco editor: one instance that shows the active document's model. */
import { useEffect, useRef } from 'react';
import { monaco } from '../editor/monaco-setup.js';
import type { Doc } from './documents.js';

interface Props {
  doc: Doc | undefined;
  onEditorReady(editor: monaco.editor.IStandaloneCodeEditor): void;
}

// The workbench's keybindings (save, quick open…) are taken window-wide before Monaco sees them.
export function EditorPane({ doc, onEditorReady }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | undefined>(undefined);

  useEffect(() => {
    if (!host.current) return;
    const ed = monaco.editor.create(host.current, {
      model: null,
      automaticLayout: true,
      minimap: { enabled: false },
      fontSize: 13,
      theme: 'vs-dark',
      folding: true,
      showFoldingControls: 'always',
      occurrencesHighlight: 'singleFile',
      scrollBeyondLastLine: false,
    });
    editor.current = ed;
    onEditorReady(ed);
    return () => ed.dispose();
  }, [onEditorReady]);

  useEffect(() => {
    const ed = editor.current;
    if (!ed) return;
    if (ed.getModel() !== (doc?.model ?? null)) ed.setModel(doc?.model ?? null);
    // An open finishes asynchronously: by then the keyboard may be in the Explorer (to go on
    // browsing) or in a dialog opened meanwhile (F2 right after a click), and keys typed there
    // must not land in the file.
    if (doc && !document.activeElement?.closest('.explorer, .dialog-backdrop, [role=menu]'))
      ed.focus();
  }, [doc]);

  return (
    <div className="editor-host-wrap">
      {!doc ? (
        <div className="empty editor-empty">Open a file from the Explorer, or press Ctrl+P.</div>
      ) : null}
      <div className="editor-host" ref={host} data-file={doc?.path ?? ''} />
    </div>
  );
}
