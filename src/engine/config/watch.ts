/**
 * Watches an app for the changes the running engine must act on:
 *   pse.conf                                   → re-read the configuration
 *   a servlet's .pt or its code module .py     → nothing: workers stat their files per request
 *   any other .py (helper, tag module, plugin) → restart the workers gracefully
 * Bursts (an editor's save writes several times) are merged into one action. Symbolic links are
 * not followed, so nothing outside the app folder is watched.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import chokidar, { type FSWatcher } from 'chokidar';
import { CONF_NAME } from './load.js';
import type { PseConfig } from './types.js';

export type WatchAction = { kind: 'config' } | { kind: 'restart'; reason: string };

/** How long after the last change of a burst the action runs: an editor's save is done by then. */
const SETTLE_MS = 150;

export function classifyChange(file: string, config: PseConfig): WatchAction | null {
  const rel = path.relative(config.appRoot, file);
  if (rel === CONF_NAME) return { kind: 'config' };
  if (path.extname(file) !== '.py') return null;
  const inPlugins = !path.relative(config.main.pluginPath, file).startsWith('..');
  if (!inPlugins && existsSync(file.slice(0, -3) + '.pt')) return null;
  return { kind: 'restart', reason: `${rel} changed` };
}

export class AppWatcher {
  private readonly watcher: FSWatcher;
  private timer: NodeJS.Timeout | null = null;
  private pending: WatchAction | null = null;
  private readonly readyP: Promise<void>;

  constructor(
    root: string,
    config: () => PseConfig,
    private readonly act: (a: WatchAction) => void,
    private readonly settleMs = SETTLE_MS,
  ) {
    this.watcher = chokidar.watch(root, {
      ignoreInitial: true,
      // A link is watched as itself, never followed: one to an ancestor folder would make the
      // whole tree above the app (itself included, again and again) look like the app's files,
      // and every change there a restart. What a link inside the app points to is watched anyway.
      followSymlinks: false,
      // .pse/ (logs, sessions, caches), dot-folders, bytecode and dependencies never matter
      ignored: (p: string) => {
        const rel = path.relative(root, p);
        return (
          rel !== '' &&
          rel
            .split(path.sep)
            .some((s) => s.startsWith('.') || s === '__pycache__' || s === 'node_modules')
        );
      },
    });
    const onEvent = (file: string): void => {
      const a = classifyChange(file, config());
      if (a) this.queue(a);
    };
    this.watcher.on('add', onEvent).on('change', onEvent).on('unlink', onEvent);
    this.watcher.on('error', () => undefined);
    this.readyP = new Promise((resolve) => this.watcher.once('ready', () => resolve()));
  }

  /** resolves once the initial scan is done (tests wait for it before touching files) */
  ready(): Promise<void> {
    return this.readyP;
  }

  private queue(a: WatchAction): void {
    // A config reload replaces the workers too, so it absorbs a pending restart.
    if (!this.pending || a.kind === 'config') this.pending = a;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      const p = this.pending!;
      this.pending = null;
      this.timer = null;
      this.act(p);
    }, this.settleMs);
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.watcher.close();
  }
}
