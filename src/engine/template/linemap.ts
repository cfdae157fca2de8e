/**
 * Generated-line → template-position lookup. The map holds one entry per generated line that
 * came from the template, in order; a line without its own entry belongs to the last entry
 * before it (Jinja's rule).
 */

/** One entry of a template line map: generated Python line → template line and column (1-based). */
export type LineMapEntry = [pyLine: number, tplLine: number, tplCol: number];

/**
 * A line map as the server sends it: the Python tuple literal that the generated module assigns
 * to `__pse_linemap__`, `((pyLine,tplLine,tplCol),…)`. It is a slice of the module's text,
 * so it costs the server nothing to make (an array form is tens of thousands of numbers per MB
 * of template), and the worker parses it only when it first needs a position (an error).
 */
export type LineMapText = string;

/** How the generated module's last line starts: the map constant, then its value. */
export const MAP_NAME = '__pse_linemap__ = ';

/** The entries of a map given in either form `CompiledSource.map` takes. */
export function mapEntries(map: LineMapText | readonly LineMapEntry[]): readonly LineMapEntry[] {
  return typeof map === 'string' ? parseMapText(map) : map;
}

/** The entries of `((1,1,1),(2,1,5),…)`: its numbers, three to an entry. */
export function parseMapText(text: LineMapText): LineMapEntry[] {
  const numbers = text.match(/\d+/g) ?? [];
  const out: LineMapEntry[] = [];
  for (let k = 0; k + 2 < numbers.length; k += 3)
    out.push([Number(numbers[k]), Number(numbers[k + 1]), Number(numbers[k + 2])]);
  return out;
}

/** The template line and column of generated line `pyLine` (1-based), or undefined before the first entry. */
export function templateLineFor(
  map: readonly LineMapEntry[],
  pyLine: number,
): { line: number; col: number } | undefined {
  const i = entryIndex(map, pyLine);
  if (i < 0) return undefined;
  const e = map[i]!;
  return { line: e[1], col: e[2] };
}

/** Index of the last entry at or before `pyLine` (binary search), -1 if none. */
export function entryIndex(map: readonly LineMapEntry[], pyLine: number): number {
  let lo = 0;
  let hi = map.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (map[mid]![0] <= pyLine) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/**
 * The map as the Python constant embedded at the end of the generated module:
 * `__pse_linemap__ = ((2,1,1),(3,1,50))`, without spaces (it is a third of a large module's
 * text; the value is the same). Built in one pass of `+=` (a rope V8 flattens once), not a
 * string per entry.
 */
export function linemapConstant(map: readonly LineMapEntry[]): string {
  let s = MAP_NAME + '(';
  for (let i = 0; i < map.length; i++) {
    const e = map[i]!;
    s += (i === 0 ? '(' : ',(') + e[0] + ',' + e[1] + ',' + e[2] + ')';
  }
  return s + (map.length === 1 ? ',)' : ')');
}
