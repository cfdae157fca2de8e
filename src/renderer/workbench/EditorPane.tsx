/** The Monaco editor: one instance that shows the active document's model. */
import { useEffect, useRef } from 'react';
import { monaco } from '../editor/monaco-setup.js';
import type { Doc } from './documents.js';

interface Props {
  doc: Doc | undefined;
  onSave(): void;
  onQuickOpen(): void;
  onEditorReady(editor: monaco.editor.IStandaloneCodeEditor): void;
}

export function EditorPane({ doc, onSave, onQuickOpen, onEditorReady }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<monaco.editor.IStandaloneCodeEditor | undefined>(undefined);
  const handlers = useRef({ onSave, onQuickOpen });
  handlers.current = { onSave, onQuickOpen };

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
    ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => handlers.current.onSave());
    ed.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyP, () =>
      handlers.current.onQuickOpen(),
    );
    editor.current = ed;
    onEditorReady(ed);
    return () => ed.dispose();
  }, [onEditorReady]);

  useEffect(() => {
    const ed = editor.current;
    if (!ed) return;
    if (ed.getModel() !== (doc?.model ?? null)) ed.setModel(doc?.model ?? null);
    if (doc) ed.focus();
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
