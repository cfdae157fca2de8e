/**
 * The engine's log lines: one access line per request, the worker pool's lines and the engine's
 * own. Each goes to the files under `.pse/` (when kept), to the caller's sink, and out as the
 * engine's 'log' event (and 'request' for access lines).
 */
import type { PseConfig } from '../config/types.js';
import type { RequestRecord } from '../http/types.js';
import type { LogMsg } from '../runtime/protocol.js';
import type { LogSubject } from '../runtime/run.js';
import { formatAccess, formatError } from './access-log.js';
import type { LogFiles } from './log-files.js';

export interface LogLine {
  kind: 'access' | 'error' | 'info';
  text: string;
  /** lines from the worker pool: their level */
  level?: LogLevel;
  /** the request the line is about (its access and error lines, its `server.log` lines) */
  about?: LogSubject;
}

export type LogLevel = LogMsg['level'];

/** Receives every log line (besides the files under `.pse/` and the 'log' event). */
export type LogSink = (line: LogLine) => void;

const LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'NOTICE', 'WARNING', 'ERROR'];

/**
 * The console's threshold for worker-pool lines: `[plugins.server] LogLevel` (the level servlets'
 * `server.log` honours), NOTICE by default. `.pse/error.log` gets every line whatever it says.
 */
export function consoleLogLevel(config: PseConfig): LogLevel {
  const server =
    Object.entries(config.plugins).find(([name]) => name.toLowerCase() === 'server')?.[1] ?? {};
  const opt = Object.entries(server).find(([name]) => name.toLowerCase() === 'loglevel')?.[1];
  const level = opt?.value.trim().toUpperCase();
  return LEVELS.find((l) => l === level) ?? 'NOTICE';
}

export interface EngineLogOptions {
  files: LogFiles | null;
  sink: LogSink | undefined;
  /** the current configuration (its LogLevel filters the sink's worker-pool lines) */
  config: () => PseConfig;
  /** every line, as the engine's 'log' event */
  onLine: (line: LogLine) => void;
  /** every request, as the engine's 'request' event */
  onRequest: (r: RequestRecord) => void;
}

export class EngineLog {
  constructor(private readonly o: EngineLogOptions) {}

  /** A request is over: its access line (and its error line, if it failed). */
  request(r: RequestRecord): void {
    const line = formatAccess(r);
    this.o.files?.writeAccess(line);
    const about: LogSubject = { request: r.id, preview: r.dryRun === true };
    const entry: LogLine = { kind: 'access', text: line, about };
    this.o.sink?.(entry);
    this.o.onRequest(r);
    this.o.onLine(entry);
    if (r.error) this.write('error', formatError(r), about);
  }

  /** A worker-pool line: all go to `.pse/error.log` and the 'log' event; the sink gets those at its level and up. */
  pool(level: LogLevel, text: string, about?: LogSubject): void {
    const line: LogLine = {
      kind: level === 'ERROR' || level === 'WARNING' ? 'error' : 'info',
      text: `${new Date().toISOString()} ${text}`,
      level,
      ...(about ? { about } : {}),
    };
    this.o.files?.writeError(line.text);
    if (LEVELS.indexOf(level) >= LEVELS.indexOf(consoleLogLevel(this.o.config())))
      this.o.sink?.(line);
    this.o.onLine(line);
  }

  /** The engine's own line. */
  write(kind: 'error' | 'info', text: string, about?: LogSubject): void {
    const line = `${new Date().toISOString()} ${text}`;
    if (kind === 'error') this.o.files?.writeError(line);
    const entry: LogLine = about ? { kind, text: line, about } : { kind, text: line };
    this.o.sink?.(entry);
    this.o.onLine(entry);
  }

  close(): Promise<void> {
    return this.o.files?.close() ?? Promise.resolve();
  }
}
