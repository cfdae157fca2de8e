/**
 * pse.conf → PseConfig. Option names are matched case-insensitively (as Python's configparser
 * does); section names too, except the plugin name after `plugins.`, which is kept as written.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { LocatedError } from '../../common/types/located.js';
import { ConfigError } from './errors.js';
import { parseIni, type IniEntry, type IniSection } from './ini.js';
import type {
  MainConfig,
  PseConfig,
  RawPluginOptions,
  SessionConfig,
  StudioConfig,
} from './types.js';
import { parsePgTarget } from './pg-target.js';
import * as v from './values.js';

export const CONF_NAME = 'pse.conf';
/** `[Studio] JournalMaxBytes` when pse.conf does not set it: 256 MiB. */
export const DEFAULT_JOURNAL_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Per worker: far above what pages need (a worker idles at ~20 MB), far below what makes a
 * machine swap when a page allocates without bound.
 */
export const DEFAULT_WORKER_MEMORY = 1024 ** 3;

export interface ConfigOptions {
  /** --production: ShowTracebacks defaults to no */
  production?: boolean;
}

type Table<T> = {
  [K in keyof T]?: { name: string; parse: v.ValueParser<T[K]>; aliases?: string[] };
};

/** `Type`: sqlite, or postgresql (PSE 3 called it psycopg, after its driver). */
const storeType: v.ValueParser<SessionConfig['type']> = (raw) => {
  if (raw.toLowerCase() === 'psycopg') return 'postgresql';
  return v.oneOf('sqlite', 'postgresql')(raw);
};

function mainTable(root: string): Table<MainConfig> {
  return {
    path: { name: 'Path', parse: v.dirs(root) },
    includePath: { name: 'IncludePath', parse: v.dirs(root) },
    pluginPath: { name: 'PluginPath', parse: v.dir(root) },
    tagModules: { name: 'TagModules', parse: v.moduleNames },
    autoEscape: { name: 'AutoEscape', parse: v.bool },
    memoryCacheSize: { name: 'MemoryCacheSize', parse: v.int(1, 1_000_000) },
    maxBuffer: { name: 'MaxBuffer', parse: v.bytes },
    maxBody: { name: 'MaxBody', parse: v.bytes },
    outputCacheDir: { name: 'OutputCacheDir', parse: v.dir(root) },
    workers: { name: 'Workers', parse: v.int(1, 256) },
    instances: { name: 'Instances', parse: v.int(1, 256) },
    pythonExecutable: { name: 'PythonExecutable', parse: v.text },
    requestTimeout: { name: 'RequestTimeout', parse: v.seconds(0) },
    workerMemory: { name: 'WorkerMemory', parse: v.memoryLimit },
    showTracebacks: { name: 'ShowTracebacks', parse: v.bool },
    exceptionHook: { name: 'ExceptionHook', parse: v.moduleName },
    allowedHosts: { name: 'AllowedHosts', parse: v.hostPatterns },
  };
}

function sessionTable(root: string): Table<SessionConfig> {
  return {
    enabled: { name: 'Enabled', parse: v.bool },
    type: { name: 'Type', parse: storeType },
    file: { name: 'File', parse: v.dir(root) },
    database: { name: 'Database', parse: parsePgTarget, aliases: ['DSN'] },
    table: { name: 'Table', parse: v.tableName },
    cookieName: { name: 'CookieName', parse: v.cookieName },
    cookieExpires: { name: 'CookieExpires', parse: v.int(0) },
    cookieSecure: { name: 'CookieSecure', parse: v.bool },
    timeout: { name: 'Timeout', parse: v.int(1) },
    collectionProbability: { name: 'CollectionProbability', parse: v.number(0, 1000) },
    lockTimeout: { name: 'LockTimeout', parse: v.seconds(0) },
  };
}

const studioTable: Table<StudioConfig> = {
  journalSize: { name: 'JournalSize', parse: v.int(0, 1_000_000) },
  journalMaxBytes: { name: 'JournalMaxBytes', parse: v.bytes },
  journal: { name: 'Journal', parse: v.oneOf('store', 'file') },
};

export function defaultConfig(appRoot: string, opts: ConfigOptions = {}): PseConfig {
  const root = path.resolve(appRoot);
  return {
    appRoot: root,
    confFile: path.join(root, CONF_NAME),
    fromFile: false,
    production: opts.production ?? false,
    main: {
      path: [],
      includePath: [root],
      pluginPath: path.join(root, 'plugins'),
      tagModules: [],
      autoEscape: true,
      memoryCacheSize: 100,
      maxBuffer: 0,
      maxBody: 10 * 1024 * 1024,
      outputCacheDir: null,
      workers: os.availableParallelism(),
      instances: 1,
      pythonExecutable: 'python3',
      requestTimeout: 30,
      workerMemory: DEFAULT_WORKER_MEMORY,
      showTracebacks: !opts.production,
      exceptionHook: null,
      allowedHosts: [],
    },
    session: {
      enabled: true,
      type: 'sqlite',
      file: path.join(root, '.pse', 'sessions.sqlite'),
      database: null,
      table: 'pse_session',
      cookieName: 'pse_session',
      cookieExpires: 0,
      cookieSecure: false,
      timeout: 360,
      collectionProbability: 1,
      lockTimeout: 30,
    },
    studio: { journalSize: 5000, journalMaxBytes: DEFAULT_JOURNAL_MAX_BYTES, journal: 'store' },
    plugins: {},
  };
}

const PLUGIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parse the text of a pse.conf. Throws ConfigError listing every problem. */
export function parseConfig(text: string, appRoot: string, opts: ConfigOptions = {}): PseConfig {
  const config = defaultConfig(appRoot, opts);
  config.fromFile = true;
  const file = config.confFile;
  const doc = parseIni(text, file);
  const issues: LocatedError[] = [...doc.errors];
  const at = (line: number, col: number, message: string): void => {
    issues.push({ stage: 'config', file, line, col, message });
  };
  for (const section of doc.sections) {
    const lower = section.name.toLowerCase();
    if (lower === 'main') {
      apply(section, mainTable(config.appRoot), config.main, at);
    } else if (lower === 'studio') {
      apply(section, studioTable, config.studio, at);
    } else if (lower.startsWith('plugins.')) {
      const name = section.name.slice('plugins.'.length);
      if (!PLUGIN_NAME.test(name)) {
        at(
          section.line,
          section.col,
          `[${section.name}]: '${name}' is not a plugin name (a Python identifier)`,
        );
      } else if (name === 'session') {
        apply(section, sessionTable(config.appRoot), config.session, at);
        checkStoreOptions(section, config.session, at);
      } else {
        config.plugins[name] = raw(section);
      }
    } else {
      at(
        section.line,
        section.col,
        `unknown section [${section.name}]: expected [Main], [Studio] or [plugins.<name>]`,
      );
    }
  }
  // ShowTracebacks defaults by mode, but an explicit setting wins in both modes.
  if (issues.length) throw new ConfigError(issues.sort((a, b) => a.line - b.line || a.col - b.col));
  return config;
}

/** Read APP/pse.conf; defaults when it does not exist. Throws ConfigError on a broken file. */
export async function loadConfig(appRoot: string, opts: ConfigOptions = {}): Promise<PseConfig> {
  const confFile = path.join(path.resolve(appRoot), CONF_NAME);
  let text: string;
  try {
    text = await readFile(confFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return defaultConfig(appRoot, opts);
    throw new ConfigError([
      {
        stage: 'config',
        file: confFile,
        line: 1,
        col: 1,
        message: `cannot read: ${(err as Error).message}`,
      },
    ]);
  }
  return parseConfig(text, appRoot, opts);
}

function apply<T extends object>(
  section: IniSection,
  table: Table<T>,
  target: T,
  at: (line: number, col: number, message: string) => void,
): void {
  const byName = new Map<string, [keyof T, v.ValueParser<unknown>, string]>();
  for (const key of Object.keys(table) as (keyof T)[]) {
    const opt = table[key];
    if (!opt) continue;
    for (const name of [opt.name, ...(opt.aliases ?? [])])
      byName.set(name.toLowerCase(), [key, opt.parse as v.ValueParser<unknown>, name]);
  }
  for (const entry of section.entries) {
    const found = byName.get(entry.name.toLowerCase());
    if (!found) {
      const known = [...byName.values()].map(([, , n]) => n).join(', ');
      at(
        entry.line,
        entry.col,
        `unknown option '${entry.name}' in [${section.name}] (known: ${known})`,
      );
      continue;
    }
    const [key, parse, name] = found;
    try {
      (target as Record<keyof T, unknown>)[key] = parse(entry.value);
    } catch (err) {
      at(entry.line, entry.valueCol, `${name}: ${(err as Error).message}`);
    }
  }
}

/** Options of one store type written for the other: said, not silently ignored. */
function checkStoreOptions(
  section: IniSection,
  session: SessionConfig,
  at: (line: number, col: number, message: string) => void,
): void {
  const only: Record<string, SessionConfig['type']> = {
    file: 'sqlite',
    database: 'postgresql',
    dsn: 'postgresql',
    table: 'postgresql',
  };
  const seen = new Map<string, IniEntry>();
  for (const e of section.entries) {
    const key = e.name.toLowerCase();
    const wanted = only[key];
    if (wanted && wanted !== session.type)
      at(
        e.line,
        e.col,
        `${e.name} applies to Type = ${wanted}, and this store is Type = ${session.type}`,
      );
    if (key === 'database' || key === 'dsn') {
      const other = seen.get(key === 'dsn' ? 'database' : 'dsn');
      if (other)
        at(
          e.line,
          e.col,
          `${e.name} and ${other.name} (line ${other.line}) name the same thing: keep one`,
        );
      seen.set(key, e);
    }
  }
}

function raw(section: IniSection): RawPluginOptions {
  const out: RawPluginOptions = {};
  for (const e of section.entries as IniEntry[]) out[e.name] = { value: e.value, line: e.line };
  return out;
}
