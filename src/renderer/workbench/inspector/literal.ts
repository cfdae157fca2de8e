/**
 * Python literals from previews: the text an edit box starts with. A preview that was cut short
 * (or holds an object that has no literal) yields null — the user types the value instead, so a
 * partial picture is never written back as if it were the whole value.
 */
import { pyString } from '../../../common/python-literal.js';
import type { PreviewValue } from '../../../common/types/session.js';

/** The key literal for a previewed dict key (previews keep str keys as they are). */
export function keyLiteral(previewKey: string): string {
  return pyString(previewKey);
}

export function toLiteral(v: PreviewValue): string | null {
  switch (v.t) {
    case 'str':
      return v.more ? null : pyString(v.v);
    case 'int':
      return v.v;
    case 'float':
      return typeof v.v === 'number' ? (Number.isInteger(v.v) ? `${v.v}.0` : String(v.v)) : null;
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'bytes':
      return v.len > v.v.length ? null : `b'${v.v}'`;
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset': {
      if (v.more) return null;
      const items: string[] = [];
      for (const x of v.v) {
        const lit = toLiteral(x);
        if (lit === null) return null;
        items.push(lit);
      }
      if (v.t === 'list') return `[${items.join(', ')}]`;
      if (v.t === 'tuple') return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
      if (items.length === 0) return v.t === 'set' ? 'set()' : null;
      return v.t === 'set' ? `{${items.join(', ')}}` : null;
    }
    case 'dict': {
      if (v.more) return null;
      const items: string[] = [];
      for (const [k, x] of v.v) {
        const lit = toLiteral(x);
        if (lit === null) return null;
        items.push(`${keyLiteral(k)}: ${lit}`);
      }
      return `{${items.join(', ')}}`;
    }
    default:
      return null;
  }
}

/** A short type label for the tree ("dict · 3", "str"). */
export function typeLabel(v: PreviewValue): string {
  switch (v.t) {
    case 'object':
      return v.type;
    case 'cut':
      return '…';
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
    case 'dict':
      return `${v.t} · ${v.v.length + (v.more ?? 0)}`;
    default:
      return v.t;
  }
}
