/**
 * The `.pt` template compiler: lexer → parser → codegen, plus the line map and the Python
 * syntax check. The generated module runs with `exec(code, ns)` in the servlet's namespace,
 * where the runtime provides:
 *
 * - `__pse_out__(text)` writes to the page (into the open custom tag's `addString`, if any);
 * - `__pse_str__(value) -> str`: the text of `<?= ?>` (escaped under AutoEscape unless Markup);
 * - `__pse_attr__(name, value) -> str`: ` name="value"`, the value escaped under AutoEscape unless Markup;
 * - `__pse_battr__(name, cond) -> str`: ` name` when cond is true, else '';
 * - `__pse_tag_open__(name, attrs, empty)`: a custom tag starts. attrs maps attribute names to
 *   str (literal values; a bare attribute's value is its name) or to the evaluated value of
 *   `="expr"`; `attr="?cond"` is present (value: its name) only when cond is true. `id` is an
 *   ordinary attribute. For an empty tag (`<Name/>`, empty=True) no close follows: the tag is
 *   complete.
 * - `__pse_tag_close__(name)`: the closing tag of a non-empty custom tag.
 */
import { Generator, type Generated } from './codegen.js';
import { TemplateError } from './errors.js';
import { lexInto, withoutBom } from './lexer.js';
import {
  entryIndex,
  mapEntries,
  templateLineFor,
  type LineMapEntry,
  type LineMapText,
} from './linemap.js';
import { Parser } from './parser.js';
import { LineIndex, excerpt } from './source.js';

export { TemplateError } from './errors.js';
export type { TemplateStage } from './errors.js';
export { mapEntries, templateLineFor } from './linemap.js';
export type { LineMapEntry, LineMapText } from './linemap.js';
export { lex } from './lexer.js';
export { parse } from './parser.js';
export { generate } from './codegen.js';

export interface CompileOptions {
  /** the template's path, used in messages and in the generated header */
  file: string;
  /** names of the registered custom-tag classes; any other tag is plain markup */
  tags?: ReadonlySet<string>;
}

const NO_TAGS: ReadonlySet<string> = new Set();

export type CompileResult =
  /**
   * cols[i]: the generated column where map[i]'s template column applies (for exact error
   * columns); mapText: the map as the module writes it, what the server sends (not enumerable)
   */
  | { ok: true; py: string; map: LineMapEntry[]; cols: number[]; mapText: LineMapText }
  | { ok: false; errors: TemplateError[] };

export function compileTemplate(source: string, opts: CompileOptions): CompileResult {
  let lines: LineIndex | undefined;
  try {
    // The stages run as a pipeline: the parser takes each token as the lexer finds it, and
    // codegen each completed top-level node as the parser finishes it, so no token list and
    // no whole tree is ever kept (a large template then costs little more than its output).
    // Lex errors win, as when the stages run one after the other.
    const src = withoutBom(source);
    lines = new LineIndex(src);
    const generator = new Generator(opts.file, src.length);
    const parser = new Parser(opts.file, lines, (nodes) => generator.add(nodes));
    const lexErrors = lexInto(src, opts.file, opts.tags ?? NO_TAGS, lines, parser);
    if (lexErrors.length) return { ok: false, errors: lexErrors };
    const parsed = parser.finish();
    if (parsed.errors.length) return { ok: false, errors: parsed.errors };
    generator.add(parsed.tree.body);
    const gen = generator.finish();
    // `map` and `cols` are built when first read (see withLazyMap): pass their accessors on,
    // not their values (and `mapText` as it is: not enumerable).
    const result = { ok: true as const, py: gen.py };
    for (const key of ['map', 'cols', 'mapText'] as const)
      Object.defineProperty(result, key, Object.getOwnPropertyDescriptor(gen, key)!);
    return result as typeof result & Pick<Generated, 'map' | 'cols' | 'mapText'>;
  } catch (e) {
    // A bug of ours must still come out as a located error, not as a crash of the server.
    const message = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      errors: [
        new TemplateError('codegen', opts.file, 1, 1, `internal compiler error: ${message}`),
      ],
    };
  } finally {
    // Errors hold their excerpts already: nothing needs the index after the compile.
    lines?.release();
  }
}

/**
 * Python's syntax errors in generated code (the worker pool's `check`), moved to the template's lines
 * and columns, with the template excerpt. `compiled.cols` makes columns exact; without it the
 * column is counted from the generated line's first non-space character.
 */
/** A Python syntax error in generated code (the worker pool's syntax check), at a generated line. */
export interface PySyntaxError {
  name: string;
  line: number;
  col: number;
  message: string;
}

export function mapSyntaxErrors(
  errors: readonly PySyntaxError[],
  compiled: {
    py?: string;
    map: LineMapText | readonly LineMapEntry[];
    cols?: readonly number[];
  },
  template: { file: string; source: string },
): TemplateError[] {
  const lines = new LineIndex(withoutBom(template.source));
  const pyLines = compiled.py?.split('\n');
  const map = mapEntries(compiled.map);
  return errors.map((e) => {
    const i = entryIndex(map, e.line);
    const at = templateLineFor(map, e.line) ?? { line: 1, col: 1 };
    let col = at.col;
    if (i >= 0 && map[i]![0] === e.line) {
      const start = compiled.cols?.[i] ?? firstNonSpace(pyLines?.[e.line - 1] ?? '');
      if (e.col > start) col = at.col + (e.col - start);
    }
    const width = lines.lineText(at.line).length + 1;
    col = Math.min(Math.max(col, 1), width);
    return new TemplateError(
      'python',
      template.file,
      at.line,
      col,
      `Python syntax error: ${e.message}`,
      excerpt(lines, at.line, col),
    );
  });
}

function firstNonSpace(text: string): number {
  const m = /\S/.exec(text);
  return m ? m.index + 1 : 1;
}
