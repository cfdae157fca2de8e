/**
 * Python string literals for text that must survive byte for byte: one line, single quotes,
 * everything that could end the literal or the line escaped, lone UTF-16 surrogates as \u
 * escapes (Python keeps them; UTF-8 could not carry them).
 *
 * A plain loop over char codes: the text between special characters is copied as one slice, so
 * text without any (most of a page) costs one scan and no allocation beyond the result.
 */

/** Escape of each code below 0x80 that needs one ('' = none). */
const ASCII: string[] = [];
for (let c = 0; c < 0x80; c++) {
  ASCII.push(c < 0x20 || c === 0x7f ? hex(c) : '');
}
ASCII[0x5c] = '\\\\';
ASCII[0x27] = "\\'";
ASCII[0x0a] = '\\n';
ASCII[0x0d] = '\\r';
ASCII[0x09] = '\\t';

function hex(code: number): string {
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The escape of the code unit at `i`, or '' when it stands for itself. */
export function escapeAt(text: string, i: number, c: number): string {
  if (c < 0x80) return ASCII[c]!;
  if (c === 0x85 || c === 0x2028 || c === 0x2029) return hex(c);
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = text.charCodeAt(i + 1);
    return next >= 0xdc00 && next <= 0xdfff ? '' : hex(c);
  }
  if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = text.charCodeAt(i - 1);
    return prev >= 0xd800 && prev <= 0xdbff ? '' : hex(c);
  }
  return '';
}

/** True when the code unit `c` certainly stands for itself (the common case, tested inline). */
export function plainUnit(c: number): boolean {
  return c >= 0x20 && c < 0x7f ? c !== 0x27 && c !== 0x5c : c > 0x2029 && c < 0xd800;
}

/**
 * Writes the body of the literal of `text` into `buf` from `n` (room for 6 units per code unit
 * is the caller's job) and returns where it ended; the codegen's buffer path.
 * `wide` receives the OR of the units written, to tell whether any is above 0xff.
 */
export function writePyStrBody(
  text: string,
  buf: Uint16Array,
  n: number,
  wide: { or: number },
): number {
  let or = 0;
  for (let i = 0, len = text.length; i < len; i++) {
    const c = text.charCodeAt(i);
    if (!(c >= 0x20 && c < 0x7f ? c !== 0x27 && c !== 0x5c : c > 0x2029 && c < 0xd800)) {
      const esc = escapeAt(text, i, c);
      if (esc !== '') {
        for (let k = 0; k < esc.length; k++) buf[n++] = esc.charCodeAt(k);
        continue;
      }
    }
    or |= c;
    buf[n++] = c;
  }
  wide.or |= or;
  return n;
}

/** The body of the literal for `text[start, end)`, without the quotes. */
export function pyStrBody(text: string, start = 0, end = text.length): string {
  let out = '';
  let from = start;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    // Fast reject: printable ASCII other than quote and backslash, and most of the BMP.
    if (plainUnit(c)) continue;
    const esc = escapeAt(text, i, c);
    if (esc === '') continue;
    out += text.slice(from, i) + esc;
    from = i + 1;
  }
  return from === start ? text.slice(start, end) : out + text.slice(from, end);
}

export function pyStr(text: string): string {
  return `'${pyStrBody(text)}'`;
}
