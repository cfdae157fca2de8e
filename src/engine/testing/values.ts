/**
 * Python-literal text for the values a test file holds: quoted strings (read and written), and
 * the one-line picture of a previewed session value that a test compares. Both ends use the same
 * picture, so a test compares what Studio's inspector shows, whatever the value's type.
 */
import { pyString } from '../../common/python-literal.js';
import type { PreviewValue } from '../../common/types/session.js';

/** Reads a quoted string at `at`; `end` is the index after its closing quote. */
export function unquote(
  text: string,
  at: number,
): { value: string; end: number } | { error: string; at: number } {
  const q = text[at];
  if (q !== "'" && q !== '"') return { error: 'expected a quoted string', at };
  let value = '';
  for (let i = at + 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === q) return { value, end: i + 1 };
    if (ch !== '\\') {
      value += ch;
      continue;
    }
    const e = text[++i];
    if (e === undefined) break;
    if (e === 'n') value += '\n';
    else if (e === 'r') value += '\r';
    else if (e === 't') value += '\t';
    else if (e === '\\' || e === "'" || e === '"') value += e;
    else if (e === 'x' || e === 'u') {
      const n = e === 'x' ? 2 : 4;
      const hex = text.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex))
        return { error: `\\${e} needs ${n} hex digits`, at: i - 1 };
      value += String.fromCodePoint(parseInt(hex, 16));
      i += n;
    } else return { error: `unknown escape \\${e}`, at: i - 1 };
  }
  return { error: 'this string has no closing quote', at };
}

/** One line of text for a previewed value, close to Python's repr. */
export function valueText(v: PreviewValue): string {
  switch (v.t) {
    case 'str':
      return pyString(v.v) + (v.more ? `…(+${v.more})` : '');
    case 'int':
      return v.v;
    case 'float':
      return typeof v.v === 'number' && Number.isInteger(v.v) ? `${v.v}.0` : String(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'bytes':
      return `b'${v.v}'` + (v.len > v.v.length ? `…(${v.len} bytes)` : '');
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset': {
      const items = v.v.map(valueText);
      if (v.more) items.push(`…(+${v.more})`);
      const inner = items.join(', ');
      if (v.t === 'list') return `[${inner}]`;
      if (v.t === 'tuple') return `(${inner}${v.v.length === 1 && !v.more ? ',' : ''})`;
      if (v.t === 'set') return items.length ? `{${inner}}` : 'set()';
      return `frozenset({${inner}})`;
    }
    case 'dict': {
      const items = v.v.map(([k, x]) => `${pyString(k)}: ${valueText(x)}`);
      if (v.more) items.push(`…(+${v.more})`);
      return `{${items.join(', ')}}`;
    }
    case 'datetime':
    case 'date':
    case 'time':
      return `${v.t}(${v.v})`;
    case 'object':
      return v.repr.replace(/[\r\n]+/g, ' ');
    case 'cut':
      return '…';
  }
}

/** A namespace's top-level keys and their value text (a namespace that is no dict: one entry ''). */
export function namespaceKeys(v: PreviewValue): Map<string, string> {
  if (v.t !== 'dict') return new Map([['', valueText(v)]]);
  return new Map(v.v.map(([k, x]) => [k, valueText(x)]));
}
