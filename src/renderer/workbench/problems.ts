/** The Problems list: compile problems of every open file, then the preview's runtime error. */
import type { LocatedProblem } from '../../common/api.js';

/**
 * One entry per error: a syntax error is found by the compile check and raised again when the
 * preview runs the page (at another column), so a runtime problem on a line the compile check
 * already reports is the same error.
 */
export function mergeProblems(
  compile: Record<string, LocatedProblem[]>,
  runtime: LocatedProblem[],
): LocatedProblem[] {
  const checked = Object.values(compile).flat();
  const lines = new Set(checked.map((p) => `${p.file}:${p.line}`));
  return [...checked, ...runtime.filter((p) => !lines.has(`${p.file}:${p.line}`))];
}

export function sameProblems(a: LocatedProblem[] | undefined, b: LocatedProblem[]): boolean {
  return a !== undefined && a.length === b.length && JSON.stringify(a) === JSON.stringify(b);
}
