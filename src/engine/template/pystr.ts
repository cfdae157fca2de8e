/**
 * Python string literals for text that must survive byte for byte: one line, single quotes,
 * everything that could end the literal or the line escaped, lone UTF-16 surrogates as \u
 * escapes (Python keeps them; UTF-8 could not carry them).
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be escaped
const SPECIAL = /[\\'\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]/g;

const NAMED: Record<string, string> = {
  '\\': '\\\\',
  "'": "\\'",
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function hex(code: number): string {
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Escapes one special character; a surrogate is kept when it is half of a valid pair. */
function escapeChar(ch: string, at: number, text: string): string {
  const named = NAMED[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = text.charCodeAt(at + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return ch;
  } else if (code >= 0xdc00 && code <= 0xdfff) {
    const prev = text.charCodeAt(at - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) return ch;
  }
  return hex(code);
}

export function pyStr(text: string): string {
  return `'${text.replace(SPECIAL, escapeChar)}'`;
}
