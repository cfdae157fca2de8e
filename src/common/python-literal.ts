/**
 * Python string literals as both the engine (test files) and Studio's inspector (edit boxes)
 * write them: single-quoted, with the escapes `ast.literal_eval` reads back to the same text.
 */

/** A single-quoted Python string literal of `s`. */
export function pyString(s: string): string {
  let out = "'";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + "'";
}
