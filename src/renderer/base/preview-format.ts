/** Text for a typed preview of a Python value, close to Python's repr. */
import type { PreviewValue } from '../../common/types/session.js';

export function formatValue(v: PreviewValue | null | undefined): string {
  if (v === null || v === undefined) return '—';
  switch (v.t) {
    case 'str':
      return JSON.stringify(v.v).replace(/^"|"$/g, "'") + (v.more ? `… (+${v.more})` : '');
    case 'int':
      return v.v;
    case 'float':
      return String(v.v);
    case 'bool':
      return v.v ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'bytes':
      return `b'${v.v}'` + (v.len > v.v.length ? `… (${v.len} bytes)` : '');
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset': {
      const items = v.v.map(formatValue).join(', ') + (v.more ? `, … (+${v.more})` : '');
      if (v.t === 'list') return `[${items}]`;
      if (v.t === 'tuple') return `(${items}${v.v.length === 1 ? ',' : ''})`;
      return `${v.t === 'set' ? '' : 'frozenset('}{${items}}${v.t === 'set' ? '' : ')'}`;
    }
    case 'dict':
      return `{${v.v.map(([k, x]) => `${k}: ${formatValue(x)}`).join(', ')}${v.more ? `, … (+${v.more})` : ''}}`;
    case 'datetime':
    case 'date':
    case 'time':
      return `${v.t}(${v.v})`;
    case 'object':
      return v.repr;
    case 'cut':
      return '…';
  }
}
