/**
 * Monaco, configured once: the editor core with the contributions Studio uses, its web worker,
 * and the languages of a PSE app (pse-template, Python, INI for pse.conf, HTML/CSS/JS assets).
 */
import * as monaco from 'monaco-editor/editor/editor.api';
import EditorWorker from 'monaco-editor/editor/editor.worker?worker';
import 'monaco-editor/editor/browser/coreCommands';
import 'monaco-editor/editor/contrib/bracketMatching/browser/bracketMatching';
import 'monaco-editor/editor/contrib/clipboard/browser/clipboard';
import 'monaco-editor/editor/contrib/comment/browser/comment';
import 'monaco-editor/editor/contrib/contextmenu/browser/contextmenu';
import 'monaco-editor/editor/contrib/cursorUndo/browser/cursorUndo';
import 'monaco-editor/editor/contrib/find/browser/findController';
import 'monaco-editor/editor/contrib/folding/browser/folding';
import 'monaco-editor/editor/contrib/gotoError/browser/gotoError';
import 'monaco-editor/editor/contrib/hover/browser/hoverContribution';
import 'monaco-editor/editor/contrib/indentation/browser/indentation';
import 'monaco-editor/editor/contrib/linesOperations/browser/linesOperations';
import 'monaco-editor/editor/contrib/multicursor/browser/multicursor';
import 'monaco-editor/editor/contrib/wordHighlighter/browser/wordHighlighter';
import 'monaco-editor/editor/contrib/wordOperations/browser/wordOperations';
import 'monaco-editor/languages/definitions/python/register';
import 'monaco-editor/languages/definitions/ini/register';
import 'monaco-editor/languages/definitions/html/register';
import 'monaco-editor/languages/definitions/css/register';
import 'monaco-editor/languages/definitions/javascript/register';
import { PSE_TEMPLATE, registerPseTemplate } from './pse-template-language.js';

self.MonacoEnvironment = {
  // Only the core editor worker: Studio runs no language services in the browser.
  getWorker: () => new EditorWorker(),
};

registerPseTemplate();

export { monaco };

export function languageFor(path: string): string {
  if (path.endsWith('.pt')) return PSE_TEMPLATE;
  if (path.endsWith('.py') || path.endsWith('.pty')) return 'python';
  if (
    path === 'pse.conf' ||
    path.endsWith('/pse.conf') ||
    path.endsWith('.ini') ||
    path.endsWith('.conf')
  )
    return 'ini';
  if (/\.html?$/.test(path)) return 'html';
  if (path.endsWith('.css')) return 'css';
  if (/\.m?js$/.test(path)) return 'javascript';
  return 'plaintext';
}

export function uriFor(path: string): monaco.Uri {
  return monaco.Uri.from({ scheme: 'pse', path: '/' + path });
}
