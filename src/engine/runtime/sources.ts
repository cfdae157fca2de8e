/**
 * The compiled-template cache the workers ask (`call source`). A template is compiled once per
 * (path, mtimeMs, size) and per set of custom tag names; concurrent asks share one compile.
 */
import { readFile, stat } from 'node:fs/promises';
import { compileTemplate } from '../template/index.js';
import { locatedData } from '../../common/types/located.js';
import type { LineMapText } from '../template/linemap.js';
import type { CompiledSource, LocatedError } from './protocol.js';

/** A successful compile: the generated module and its line map in the form the workers get. */
export interface Compiled {
  ok: true;
  py: string;
  mapText: LineMapText;
}

/** The template compiler's entry point (src/engine/template: `compileTemplate`). */
export type CompileFn = (
  source: string,
  opts: { file: string; tags?: ReadonlySet<string> },
) => Compiled | { ok: false; errors: LocatedError[] };

/**
 * What a worker is sent for a compiled template. The map goes as text (a slice of the module),
 * not as an array per generated line (the compile benchmark times this too).
 */
export function compiledSource(out: Compiled, file: string): CompiledSource {
  return { py: out.py, map: out.mapText, file };
}

interface Entry {
  mtimeMs: number;
  size: number;
  generation: number;
  result: Promise<CompiledSource | LocatedError>;
}

export class TemplateSources {
  private readonly cache = new Map<string, Entry>();
  private tagSet: ReadonlySet<string> = new Set();
  private generation = 0;
  private compiles = 0;

  constructor(private readonly compile: CompileFn = compileTemplate) {}

  /** The pool's SourceProvider. */
  readonly provide = (file: string): Promise<CompiledSource | LocatedError> => this.get(file);

  /** how many times the compiler ran (cache misses) */
  get compileCount(): number {
    return this.compiles;
  }

  get tags(): ReadonlySet<string> {
    return this.tagSet;
  }

  /** The custom tag names the workers registered; a change recompiles everything. */
  setTags(tags: Iterable<string>): void {
    const next = new Set(tags);
    if (next.size === this.tagSet.size && [...next].every((t) => this.tagSet.has(t))) return;
    this.tagSet = next;
    this.invalidate();
  }

  /** Forget every compiled template (a tag module changed). */
  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  async get(file: string): Promise<CompiledSource | LocatedError> {
    let st: { mtimeMs: number; size: number };
    try {
      st = await stat(file);
    } catch (err) {
      this.cache.delete(file);
      return readFailure(file, err);
    }
    const hit = this.cache.get(file);
    if (
      hit &&
      hit.mtimeMs === st.mtimeMs &&
      hit.size === st.size &&
      hit.generation === this.generation
    ) {
      return hit.result;
    }
    const entry: Entry = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      generation: this.generation,
      result: this.build(file),
    };
    this.cache.set(file, entry);
    return entry.result;
  }

  private async build(file: string): Promise<CompiledSource | LocatedError> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      return readFailure(file, err);
    }
    this.compiles++;
    let out: ReturnType<CompileFn>;
    try {
      out = this.compile(text, { file, tags: this.tagSet });
    } catch (err) {
      // a compiler bug must not take the request down with an unlocated error
      return {
        stage: 'codegen',
        file,
        line: 1,
        col: 1,
        message: `the template compiler failed: ${(err as Error).message}`,
      };
    }
    if (out.ok) return compiledSource(out, file);
    return compileFailure(file, out.errors);
  }
}

/** The first of a compile's errors as a plain located error, saying how many more there are. */
export function compileFailure(file: string, errors: readonly LocatedError[]): LocatedError {
  const first = errors[0];
  if (!first)
    return {
      stage: 'parse',
      file,
      line: 1,
      col: 1,
      message: 'the template does not compile (no reason given)',
    };
  const out = locatedData(first);
  if (errors.length > 1)
    out.message += ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})`;
  return out;
}

function readFailure(file: string, err: unknown): LocatedError {
  const code = (err as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT'
      ? 'no such file'
      : code === 'EACCES'
        ? 'permission denied'
        : (err as Error).message;
  return { stage: 'runtime', file, line: 1, col: 1, message: `cannot read the template: ${why}` };
}
