/**
 * A preview runs unsaved text, but the worker quotes a traceback frame's source line from the
 * file on disk (for a template it only ever sees the compiled Python, never the `.pt` text).
 * Studio has the unsaved text, so it puts the right line back: in each frame and in the
 * formatted traceback.
 */
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { TraceFrame } from '../../common/types/located.js';

export interface TracebackLike {
  frames: TraceFrame[];
  text: string;
}

/** `file` (absolute) as a key of `texts`: as written, normalised, or through its real path. */
function textOf(texts: ReadonlyMap<string, string>, file: string): string | undefined {
  const direct = texts.get(file) ?? texts.get(path.resolve(file));
  if (direct !== undefined) return direct;
  try {
    return texts.get(realpathSync.native(file));
  } catch {
    return undefined; // a file that exists only as unsaved text has no real path yet
  }
}

/** Line `n` (1-based) of `text`, trimmed as the worker trims it; undefined when blank or absent. */
export function lineOf(text: string, n: number): string | undefined {
  const line = text.split(/\r\n|\n|\r/)[n - 1];
  const trimmed = line?.trim();
  return trimmed ? trimmed : undefined;
}

const FRAME_LINE = /^ {2}File "(.*)", line (\d+)\b/;
const SOURCE_LINE = /^ {4}\S/;

/**
 * `error` with the source lines of frames in unsaved files taken from `unsaved` (absolute path
 * → text); the same object when no frame is in an unsaved file.
 */
export function withUnsavedSource<E extends TracebackLike>(
  error: E,
  unsaved: Record<string, string>,
): E {
  const texts = new Map(Object.entries(unsaved).map(([f, t]) => [path.resolve(f), t]));
  if (texts.size === 0) return error;
  let touched = false;
  const frames = error.frames.map((f) => {
    const text = textOf(texts, f.file);
    if (text === undefined) return f;
    touched = true;
    const { source: _stale, ...rest } = f;
    const source = lineOf(text, f.line);
    return source === undefined ? rest : { ...rest, source };
  });
  if (!touched) return error;

  // The formatted traceback (chained exceptions included): `  File "…", line N, …` then,
  // when the worker had a line to quote, `    <source>`.
  const lines = error.text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    out.push(line);
    const m = FRAME_LINE.exec(line);
    if (!m) continue;
    const text = textOf(texts, m[1]!);
    if (text === undefined) continue;
    if (SOURCE_LINE.test(lines[i + 1] ?? '')) i++; // the stale quote
    const source = lineOf(text, Number(m[2]));
    if (source !== undefined) out.push(`    ${source}`);
  }
  return { ...error, frames, text: out.join('\n') };
}
