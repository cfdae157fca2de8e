/**
 * Argument schemas: small data descriptions that the RPC server checks every incoming argument
 * against, because the WebSocket is an untrusted edge. Plain data, no Node, no DOM.
 */

export type Schema =
  | { t: 'string'; max: number; min?: number }
  | { t: 'int'; min: number; max: number }
  | { t: 'enum'; values: readonly string[] }
  | { t: 'object'; fields: Record<string, Schema> }
  | { t: 'array'; of: Schema; max: number }
  | { t: 'tuple'; items: readonly Schema[] }
  | { t: 'record'; of: Schema; max: number }
  /** a tagged union: `tag` names the discriminating field, each case is an object schema */
  | {
      t: 'union';
      tag: string;
      cases: Record<string, { t: 'object'; fields: Record<string, Schema> }>;
    };

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object'
    ? 'an object'
    : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks `value` against `schema`; returns null, or a message naming where (`where`) it failed. */
export function check(schema: Schema, value: unknown, where: string): string | null {
  switch (schema.t) {
    case 'string':
      if (typeof value !== 'string') return `${where}: expected a string, got ${describe(value)}`;
      if (value.length > schema.max) return `${where}: longer than ${schema.max} characters`;
      if (schema.min !== undefined && value.length < schema.min)
        return `${where}: must not be empty`;
      return null;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return `${where}: expected an integer, got ${describe(value)}`;
      if (value < schema.min || value > schema.max)
        return `${where}: ${value} is outside ${schema.min}..${schema.max}`;
      return null;
    case 'enum':
      if (typeof value !== 'string' || !schema.values.includes(value))
        return `${where}: expected one of ${schema.values.join(', ')}, got ${describe(value)}`;
      return null;
    case 'object': {
      if (!isPlainObject(value)) return `${where}: expected an object, got ${describe(value)}`;
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(schema.fields, key)) return `${where}: unknown field '${key}'`;
      }
      for (const [key, sub] of Object.entries(schema.fields)) {
        const problem = check(sub, value[key], `${where}.${key}`);
        if (problem) return problem;
      }
      return null;
    }
    case 'array':
    case 'tuple': {
      if (!Array.isArray(value)) return `${where}: expected an array, got ${describe(value)}`;
      if (schema.t === 'tuple') {
        if (value.length !== schema.items.length)
          return `${where}: expected ${schema.items.length} items, got ${value.length}`;
        for (let i = 0; i < value.length; i++) {
          const problem = check(schema.items[i]!, value[i], `${where}[${i}]`);
          if (problem) return problem;
        }
        return null;
      }
      if (value.length > schema.max) return `${where}: more than ${schema.max} items`;
      for (let i = 0; i < value.length; i++) {
        const problem = check(schema.of, value[i], `${where}[${i}]`);
        if (problem) return problem;
      }
      return null;
    }
    case 'record': {
      if (!isPlainObject(value)) return `${where}: expected an object, got ${describe(value)}`;
      const entries = Object.entries(value);
      if (entries.length > schema.max) return `${where}: more than ${schema.max} entries`;
      for (const [key, item] of entries) {
        const problem = check(schema.of, item, `${where}[${JSON.stringify(key)}]`);
        if (problem) return problem;
      }
      return null;
    }
    case 'union': {
      if (!isPlainObject(value)) return `${where}: expected an object, got ${describe(value)}`;
      const tag = value[schema.tag];
      if (typeof tag !== 'string' || !Object.hasOwn(schema.cases, tag))
        return `${where}.${schema.tag}: expected one of ${Object.keys(schema.cases).join(', ')}, got ${describe(tag)}`;
      return check(schema.cases[tag]!, value, where);
    }
  }
}
