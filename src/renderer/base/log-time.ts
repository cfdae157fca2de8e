/** A console line's time: the engine stamps its lines (ISO 8601); the console shows one stamp. */
const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\s/;

/** The line's own time and its text without it (an error line carries its request's stamp too). */
export function splitStamp(text: string, fallback: number): { time: Date; text: string } {
  let time: Date | undefined;
  for (let m = ISO.exec(text); m; m = ISO.exec(text)) {
    const t = new Date(m[1]!);
    if (Number.isNaN(t.getTime())) break;
    time ??= t;
    text = text.slice(m[0].length);
  }
  return { time: time ?? new Date(fallback), text };
}
