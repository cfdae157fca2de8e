/**
 * Places in files: an error with its place (template, code module, pse.conf) and a frame of a
 * servlet's traceback. Plain data: they cross the worker pipe, the Studio API and the journal.
 */

export interface LocatedError {
  stage: 'config' | 'lex' | 'parse' | 'codegen' | 'python' | 'runtime';
  file: string;
  line: number;
  col: number;
  message: string;
  excerpt?: string;
}

/**
 * `file:line:col: message` — the form editors and terminals turn into links; with
 * `excerpt: true`, the error's excerpt follows, indented, as compilers print it.
 */
export function formatLocated(e: LocatedError, opts: { excerpt?: boolean } = {}): string {
  const head = `${e.file}:${e.line}:${e.col}: ${e.message}`;
  return opts.excerpt && e.excerpt ? `${head}\n${e.excerpt.replace(/^/gm, '    ')}` : head;
}

/** The error's own fields and nothing else (no class, no stack): what crosses a pipe or the API. */
export function locatedData(e: LocatedError): LocatedError {
  const out: LocatedError = {
    stage: e.stage,
    file: e.file,
    line: e.line,
    col: e.col,
    message: e.message,
  };
  if (e.excerpt !== undefined) out.excerpt = e.excerpt;
  return out;
}

/** One frame of a servlet's traceback, at template and code-module lines. */
export interface TraceFrame {
  file: string;
  line: number;
  col?: number;
  name: string;
  source?: string;
  /** 'template' frames were mapped from generated code to the .pt */
  kind: 'template' | 'module' | 'other';
}
