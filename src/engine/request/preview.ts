/**
 * Studio's preview of a request: unsaved text for templates and code modules, compiled here and
 * sent with the run (never cached), and the session the dry run runs against. The preview
 * travels on the request itself (`EngineHttpRequest.preview`).
 */
import path from 'node:path';
import { locatedData, type LocatedError } from '../../common/types/located.js';
import type { HttpRequest } from '../http/types.js';
import type { WorkerPool } from '../runtime/pool.js';
import type { CompiledSource, ReqMsg } from '../runtime/protocol.js';
import { compileFailure } from '../runtime/sources.js';
import type { SessionState } from '../session/ticket.js';
import { compileTemplate, mapSyntaxErrors } from '../template/index.js';

/**
 * Which session a Studio dry run runs against: the request's cookie (default), a stored session
 * by id, a copy of the state before / after a journaled request, a state given whole (what an
 * earlier dry run left: the preview frame's own session), or none ('fresh' and 'none' both start
 * without a stored session: whatever the page stores is shown, never committed).
 */
export type PreviewSession =
  | 'cookie'
  | 'fresh'
  | 'none'
  | { id: string }
  | { snapshot: { serial: number; phase: 'before' | 'after' } }
  | { state: SessionState };

export interface Preview {
  /** path (absolute or app-relative) → unsaved text */
  overrides: Record<string, string>;
  session: PreviewSession;
}

/** A request as the engine's HTTP app takes it: an in-process one may carry a preview. */
export interface EngineHttpRequest extends HttpRequest {
  preview?: Preview;
}

/** A template compiled from unsaved text, kept with what maps Python syntax errors back to it. */
interface CompiledText extends CompiledSource {
  cols: number[];
  source: string;
}

function compileText(
  file: string,
  source: string,
  tags: ReadonlySet<string>,
): CompiledText | LocatedError {
  const out = compileTemplate(source, { file, tags });
  if (out.ok) return { py: out.py, map: out.map, cols: out.cols, file, source };
  return compileFailure(file, out.errors);
}

/**
 * Unsaved text for any template (compiled here) or code module of the request: the worker
 * uses it for the servlet and for whatever it includes or calls. Other files are not overridable
 * (static files are served from disk). Every template must compile, or nothing runs.
 */
export function buildOverride(
  appRoot: string,
  tags: ReadonlySet<string>,
  overrides: Record<string, string>,
): { override: ReqMsg['override'] } | { problems: LocatedError[] } {
  const templates: Record<string, CompiledSource> = {};
  const modules: Record<string, string> = {};
  const problems: LocatedError[] = [];
  for (const [file, text] of Object.entries(overrides)) {
    const abs = path.resolve(appRoot, file);
    if (abs.endsWith('.py')) modules[abs] = text;
    if (!abs.endsWith('.pt')) continue;
    const compiled = compileText(abs, text, tags);
    if ('message' in compiled) problems.push(compiled);
    else templates[abs] = { py: compiled.py, map: compiled.map, file: compiled.file };
  }
  if (problems.length > 0) return { problems };
  const any = Object.keys(templates).length > 0 || Object.keys(modules).length > 0;
  return { override: any ? { templates, modules } : undefined };
}

/** Template errors and Python syntax errors (at template lines) of unsaved text, for editor markers. */
export async function checkText(
  pool: Pick<WorkerPool, 'check'>,
  tags: ReadonlySet<string>,
  abs: string,
  text: string,
): Promise<LocatedError[]> {
  if (abs.endsWith('.pt')) {
    const compiled = compileText(abs, text, tags);
    if ('message' in compiled) return [compiled];
    const errors = await pool.check([{ name: abs, code: compiled.py }]);
    return mapSyntaxErrors(errors, compiled, { file: abs, source: text }).map(locatedData);
  }
  if (abs.endsWith('.py')) {
    const errors = await pool.check([{ name: abs, code: text }]);
    return errors.map((e) => ({
      stage: 'python',
      file: abs,
      line: e.line,
      col: e.col,
      message: e.message,
    }));
  }
  return [];
}
