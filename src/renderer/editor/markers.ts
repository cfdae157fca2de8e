/** Located problems as Monaco markers, one owner per source (compile check, runtime). */
import type { LocatedProblem } from '../../common/api.js';
import { monaco } from './monaco-setup.js';

export type MarkerOwner = 'pse-compile' | 'pse-runtime';

export function setProblems(
  model: monaco.editor.ITextModel,
  owner: MarkerOwner,
  problems: LocatedProblem[],
): void {
  const lines = model.getLineCount();
  monaco.editor.setModelMarkers(
    model,
    owner,
    problems.map((p) => {
      const line = Math.min(Math.max(1, p.line), lines);
      const maxCol = model.getLineMaxColumn(line);
      const col = Math.min(Math.max(1, p.col), maxCol);
      const word = model.getWordAtPosition({ lineNumber: line, column: col });
      const endColumn =
        word && word.endColumn > col ? word.endColumn : col < maxCol ? maxCol : col + 1;
      return {
        severity: monaco.MarkerSeverity.Error,
        message: p.message,
        source: owner === 'pse-compile' ? `pse ${p.stage}` : 'runtime',
        startLineNumber: line,
        startColumn: col,
        endLineNumber: line,
        endColumn,
      };
    }),
  );
}
