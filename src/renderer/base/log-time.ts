/** A console line's time: the engine stamps its lines (ISO 8601); the console shows one stamp. */
const ISO = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)\s/;

export function splitStamp(text: string, fallback: number): { time: Date; text: string } {
  const m = ISO.exec(text);
  if (!m) return { time: new Date(fallback), text };
  const time = new Date(m[1]!);
  return Number.isNaN(time.getTime())
    ? { time: new Date(fallback), text }
    : { time, text: text.slice(m[0].length) };
}
