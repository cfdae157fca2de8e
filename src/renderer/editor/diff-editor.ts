/**
 * A read-only Monaco diff editor over two models, torn down so that a diff still being computed
 * is cancelled rather than failing.
 *
 * `IStandaloneDiffEditor.setModel({ original, modified })` keeps one reference to the view model it
 * creates that nothing releases, so disposing the editor never cancels the diff the worker is
 * computing; when the models go first, that diff resolves to nothing and Monaco rejects with
 * "no diff result available". Owning the view model and disposing it before the models cancels the
 * computation instead.
 */
import { monaco } from './monaco-setup.js';

export interface DiffModels {
  original: monaco.editor.ITextModel;
  modified: monaco.editor.ITextModel;
}

/** Mounts the editor; the returned function unmounts it, leaving the models to their owner. */
export function mountDiffEditor(
  host: HTMLElement,
  models: DiffModels,
  options: monaco.editor.IStandaloneDiffEditorConstructionOptions,
): () => void {
  const editor = monaco.editor.createDiffEditor(host, {
    readOnly: true,
    originalEditable: false,
    automaticLayout: true,
    theme: 'vs-dark',
    ...options,
  });
  const view = editor.createViewModel(models);
  editor.setModel(view);
  return () => {
    editor.setModel(null);
    view.dispose();
    editor.dispose();
  };
}
