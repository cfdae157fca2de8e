/** A TCP port as typed: 1–65535, or 0 for "any free port" (said so, never chosen silently). */
export function portProblem(text: string): string | null {
  const t = text.trim();
  if (t === '') return 'enter a port (1–65535, or 0 for any free port)';
  if (!/^\d+$/.test(t)) return `'${t}' is not a port: digits only`;
  const n = Number(t);
  if (n > 65535) return `${n} is not a port: the largest is 65535`;
  return null;
}
