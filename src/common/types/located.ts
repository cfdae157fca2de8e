/** An error with its place in a file (template, code module, pse.conf). Plain data: it crosses
 * the worker pipe, the Studio API and the journal. */
export interface LocatedError {
  stage: 'config' | 'lex' | 'parse' | 'codegen' | 'python' | 'runtime';
  file: string;
  line: number;
  col: number;
  message: string;
  excerpt?: string;
}
