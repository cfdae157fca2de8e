/** Value parsers for pse.conf options. Each returns the value or throws a message (no location). */
import path from 'node:path';
import { parseHostPattern, type HostPattern } from '../host-names.js';

export type ValueParser<T> = (raw: string) => T;

const TRUE = new Set(['yes', 'true', 'on', '1']);
const FALSE = new Set(['no', 'false', 'off', '0']);

export const bool: ValueParser<boolean> = (raw) => {
  const v = raw.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new Error(`expected yes or no, found '${raw}'`);
};

export function int(min: number, max = Number.MAX_SAFE_INTEGER): ValueParser<number> {
  return (raw) => {
    if (!/^[+-]?\d+$/.test(raw)) throw new Error(`expected a whole number, found '${raw}'`);
    const n = Number(raw);
    if (n < min || n > max)
      throw new Error(`expected a number from ${min} to ${max}, found ${raw}`);
    return n;
  };
}

export function seconds(minExclusive: number): ValueParser<number> {
  return (raw) => {
    if (!/^\d+(\.\d+)?$/.test(raw)) throw new Error(`expected a number of seconds, found '${raw}'`);
    const n = Number(raw);
    if (!(n > minExclusive))
      throw new Error(`expected more than ${minExclusive} seconds, found ${raw}`);
    return n;
  };
}

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** A byte count: `1048576`, `512K`, `10 MiB` (K, M, G are powers of 1024). */
export const bytes: ValueParser<number> = (raw) => {
  const m = /^(\d+)\s*([a-zA-Z]*)$/.exec(raw);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new Error(`expected a size such as 1048576, 512K or 10M, found '${raw}'`);
  return Number(m[1]) * unit;
};

/** Smallest WorkerMemory: below it a worker cannot even boot, which would read as a crash. */
export const MIN_WORKER_MEMORY = 64 * 1024 ** 2;

/** A per-process memory limit: a size of at least 64M, or 0 for none. */
export const memoryLimit: ValueParser<number> = (raw) => {
  const n = bytes(raw);
  if (n !== 0 && n < MIN_WORKER_MEMORY)
    throw new Error(`expected 0 (no limit) or at least 64M, found '${raw}'`);
  return n;
};

export const text: ValueParser<string> = (raw) => {
  if (raw === '') throw new Error('expected a value, found nothing');
  return raw;
};

/** Comma-separated (or one per continuation line); empty items dropped. */
export const list: ValueParser<string[]> = (raw) =>
  raw
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

export function dirs(appRoot: string): ValueParser<string[]> {
  return (raw) => list(raw).map((p) => path.resolve(appRoot, p));
}

export function dir(appRoot: string): ValueParser<string> {
  return (raw) => path.resolve(appRoot, text(raw));
}

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

export const moduleName: ValueParser<string> = (raw) => {
  if (!DOTTED.test(raw))
    throw new Error(`expected a Python module name such as mytags or pkg.hooks, found '${raw}'`);
  return raw;
};

export const moduleNames: ValueParser<string[]> = (raw) => list(raw).map(moduleName);

export function oneOf<T extends string>(...choices: T[]): ValueParser<T> {
  return (raw) => {
    const found = choices.find((c) => c.toLowerCase() === raw.toLowerCase());
    if (!found) throw new Error(`expected ${choices.join(' or ')}, found '${raw}'`);
    return found;
  };
}

const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export const cookieName: ValueParser<string> = (raw) => {
  if (!COOKIE_NAME.test(raw))
    throw new Error(
      `'${raw}' is not a valid cookie name (letters, digits and !#$%&'*+-.^_\`|~ only)`,
    );
  return raw;
};

export function number(min: number, max: number): ValueParser<number> {
  return (raw) => {
    if (!/^\d+(\.\d+)?$/.test(raw)) throw new Error(`expected a number, found '${raw}'`);
    const n = Number(raw);
    if (n < min || n > max)
      throw new Error(`expected a number from ${min} to ${max}, found ${raw}`);
    return n;
  };
}

const IDENT = '[A-Za-z_][A-Za-z0-9_]{0,40}';
const TABLE = new RegExp(`^(${IDENT}\\.)?${IDENT}$`);

/** A PostgreSQL table name, optionally schema-qualified: `pse_session`, `web.pse_session`. */
export const tableName: ValueParser<string> = (raw) => {
  if (!TABLE.test(raw))
    throw new Error(
      `'${raw}' is not a table name (letters, digits and _, at most 41 characters, optionally schema.table)`,
    );
  return raw.toLowerCase();
};
/** `[Main] AllowedHosts`: a list of host names or addresses, each with an optional port. */
export const hostPatterns: ValueParser<HostPattern[]> = (raw) => list(raw).map(parseHostPattern);
