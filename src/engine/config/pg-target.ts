/**
 * The PostgreSQL database of a session store, as pse.conf names it: a URL
 * (`postgresql://user@host:5432/db?sslmode=require`) or a libpq connect string
 * (`dbname=pse host=db1 user=web`), PSE 3's `DSN`. What is not given comes from the usual `PG*`
 * environment variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD), then libpq's defaults.
 */
import os from 'node:os';

export interface PgTarget {
  host?: string;
  port?: number;
  database?: string;
  user?: string;
  password?: string;
  sslmode?: 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';
  applicationName?: string;
  /** seconds; libpq's connect_timeout */
  connectTimeout?: number;
  /** libpq's `options` (e.g. `-c search_path=app`) */
  options?: string;
}

const SSLMODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
const KEYS = [
  'host',
  'port',
  'dbname',
  'user',
  'password',
  'sslmode',
  'application_name',
  'connect_timeout',
  'options',
] as const;

/** A URL or a key=value string → PgTarget; throws a message saying what is wrong. */
export function parsePgTarget(raw: string): PgTarget {
  const text = raw.trim();
  if (text === '')
    throw new Error('expected a postgresql:// URL or a key=value string, found nothing');
  return /^postgres(ql)?:\/\//i.test(text) ? fromUrl(text) : fromKeywords(text);
}

function fromUrl(text: string): PgTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`'${redact(text)}' is not a valid URL`);
  }
  const t: Record<string, string> = {};
  if (url.hostname) t.host = decodeURIComponent(url.hostname.replace(/^\[|\]$/g, ''));
  if (url.port) t.port = url.port;
  const db = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (db) t.dbname = db;
  if (url.username) t.user = decodeURIComponent(url.username);
  if (url.password) t.password = decodeURIComponent(url.password);
  for (const [k, v] of url.searchParams) t[k] = v;
  return build(t);
}

/** libpq's `key=value key2='quoted \' value'` syntax. */
function fromKeywords(text: string): PgTarget {
  const t: Record<string, string> = {};
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && /\s/.test(text[i]!)) i++;
    if (i >= n) break;
    const m = /^([A-Za-z_]+)\s*=\s*/.exec(text.slice(i));
    if (!m)
      throw new Error(
        `expected key=value at '${text.slice(i, i + 20)}' (a libpq connect string such as 'dbname=pse host=db1', or a postgresql:// URL)`,
      );
    i += m[0].length;
    let value = '';
    if (text[i] === "'") {
      i++;
      while (i < n && text[i] !== "'") {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i++];
      }
      if (i >= n) throw new Error(`unterminated quoted value of ${m[1]}`);
      i++;
    } else {
      while (i < n && !/\s/.test(text[i]!)) {
        if (text[i] === '\\' && i + 1 < n) i++;
        value += text[i++];
      }
    }
    t[m[1]!] = value;
  }
  return build(t);
}

function build(t: Record<string, string>): PgTarget {
  const out: PgTarget = {};
  for (const [k, v] of Object.entries(t)) {
    if (!(KEYS as readonly string[]).includes(k))
      throw new Error(`unknown connection parameter '${k}' (known: ${KEYS.join(', ')})`);
    switch (k as (typeof KEYS)[number]) {
      case 'host':
        out.host = v;
        break;
      case 'port': {
        const p = Number(v);
        if (!/^\d+$/.test(v) || p < 1 || p > 65535)
          throw new Error(`port: expected a number from 1 to 65535, found '${v}'`);
        out.port = p;
        break;
      }
      case 'dbname':
        out.database = v;
        break;
      case 'user':
        out.user = v;
        break;
      case 'password':
        out.password = v;
        break;
      case 'sslmode':
        if (!(SSLMODES as readonly string[]).includes(v))
          throw new Error(`sslmode: expected ${SSLMODES.join(', ')}, found '${v}'`);
        out.sslmode = v as PgTarget['sslmode'];
        break;
      case 'application_name':
        out.applicationName = v;
        break;
      case 'connect_timeout':
        if (!/^\d+$/.test(v)) throw new Error(`connect_timeout: expected seconds, found '${v}'`);
        out.connectTimeout = Number(v);
        break;
      case 'options':
        out.options = v;
        break;
    }
  }
  return out;
}

/** The target with the `PG*` environment and libpq's defaults filled in (what is connected to). */
export function effectivePgTarget(
  t: PgTarget | null,
  env: NodeJS.ProcessEnv = process.env,
): PgTarget & { host: string; port: number; database: string; user: string } {
  const user = t?.user ?? env.PGUSER ?? os.userInfo().username;
  return {
    ...t,
    host: t?.host ?? env.PGHOST ?? 'localhost',
    port: t?.port ?? (env.PGPORT ? Number(env.PGPORT) : 5432),
    database: t?.database ?? env.PGDATABASE ?? user,
    user,
    ...(t?.password === undefined && env.PGPASSWORD !== undefined
      ? { password: env.PGPASSWORD }
      : {}),
  };
}

/** `postgresql://user@host:port/db`: where a store is, for messages; never the password. */
export function describePgTarget(t: PgTarget | null): string {
  const e = effectivePgTarget(t);
  const host = e.host.startsWith('/') ? `[socket ${e.host}]` : e.host;
  return `postgresql://${e.user}@${host}:${e.port}/${e.database}`;
}

/** A connection string with its password replaced, for messages. */
function redact(text: string): string {
  return text.replace(/(:\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
