/**
 * The one error type of the template compiler. It carries its location as data, so that it can
 * cross the worker pipe and Studio's IPC as JSON (`toJSON`) and be printed as `file:line:col`.
 */
import { formatLocated, locatedData, type LocatedError } from '../../common/types/located.js';
import { excerpt, type LineIndex } from './source.js';

export type TemplateStage = 'lex' | 'parse' | 'codegen' | 'python';

export class TemplateError extends Error implements LocatedError {
  override readonly name = 'TemplateError';

  constructor(
    readonly stage: TemplateStage,
    readonly file: string,
    readonly line: number,
    readonly col: number,
    message: string,
    readonly excerpt?: string,
  ) {
    super(message);
  }

  /** An error at a template position, with the excerpt taken from the template's text. */
  static at(
    stage: TemplateStage,
    file: string,
    lines: LineIndex,
    line: number,
    col: number,
    message: string,
  ): TemplateError {
    return new TemplateError(stage, file, line, col, message, excerpt(lines, line, col));
  }

  toJSON(): LocatedError {
    return locatedData(this);
  }

  /** `file:line:col: message`, then the excerpt indented, as compilers print it. */
  format(): string {
    return formatLocated(this, { excerpt: true });
  }
}
