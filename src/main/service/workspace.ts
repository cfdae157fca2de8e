/**
 * The application folder as Studio sees it: list, read, write, create, rename, delete, and live
 * change events (chokidar). All paths are app-relative and confined to the root.
 */
import { watch, type FSWatcher } from 'chokidar';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile, open } from 'node:fs/promises';
import path from 'node:path';
import type { Disposable, FileChange, FileContent, TreeEntry } from '../../common/api.js';
import { isHiddenName, resolveReal, toRelative, WorkspacePathError } from './paths.js';

const MAX_FILE = 8 * 1024 * 1024;
const MAX_ENTRIES = 20_000;

export class Workspace {
  private watcher: FSWatcher | undefined;
  private readonly listeners = new Set<(e: FileChange) => void>();

  constructor(readonly root: string) {}

  async list(): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (isHiddenName(entry.name) || out.length >= MAX_ENTRIES) continue;
        const abs = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          out.push({ path: toRelative(this.root, abs), kind: 'dir' });
          await walk(abs);
        } else if (entry.isFile()) {
          out.push({ path: toRelative(this.root, abs), kind: 'file' });
        }
      }
    };
    await walk(this.root);
    return out;
  }

  async read(rel: string): Promise<FileContent> {
    const abs = await resolveReal(this.root, rel);
    const info = await stat(abs).catch(() => {
      throw new WorkspacePathError(`'${rel}': no such file`, rel);
    });
    if (!info.isFile()) throw new WorkspacePathError(`'${rel}': not a file`, rel);
    if (info.size > MAX_FILE)
      throw new WorkspacePathError(`'${rel}': larger than ${MAX_FILE} bytes, not opened`, rel);
    const buf = await readFile(abs);
    if (buf.includes(0)) throw new WorkspacePathError(`'${rel}': a binary file, not opened`, rel);
    return { path: rel, text: buf.toString('utf8'), mtimeMs: info.mtimeMs };
  }

  /** Writes through a temporary file and a rename, so a crash never leaves half a file. */
  async write(rel: string, text: string): Promise<FileContent> {
    const abs = await resolveReal(this.root, rel);
    const info = await stat(abs).catch(() => undefined);
    if (info && !info.isFile()) throw new WorkspacePathError(`'${rel}': not a file`, rel);
    await mkdir(path.dirname(abs), { recursive: true });
    const tmp = `${abs}.pse-save-${process.pid}-${Date.now()}`;
    const handle = await open(tmp, 'w', info?.mode ?? 0o644);
    try {
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, abs);
    } catch (err) {
      // A failed save leaves the file as it was and no half-written copy beside it.
      await rm(tmp, { force: true }).catch(() => undefined);
      throw err;
    }
    const after = await stat(abs);
    return { path: rel, text, mtimeMs: after.mtimeMs };
  }

  async create(rel: string, kind: 'file' | 'dir'): Promise<void> {
    const abs = await resolveReal(this.root, rel);
    if (await stat(abs).catch(() => undefined))
      throw new WorkspacePathError(`'${rel}': already exists`, rel);
    if (kind === 'dir') {
      await mkdir(abs, { recursive: true });
      return;
    }
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, '', { flag: 'wx' });
  }

  async rename(from: string, to: string): Promise<void> {
    const src = await resolveReal(this.root, from);
    const dst = await resolveReal(this.root, to);
    if (!(await stat(src).catch(() => undefined)))
      throw new WorkspacePathError(`'${from}': no such file`, from);
    // Never overwrite: a rename onto an existing file would lose it.
    if (await stat(dst).catch(() => undefined))
      throw new WorkspacePathError(`'${to}': already exists`, to);
    await mkdir(path.dirname(dst), { recursive: true });
    await rename(src, dst);
  }

  async remove(rel: string): Promise<void> {
    const abs = await resolveReal(this.root, rel);
    if (!(await stat(abs).catch(() => undefined)))
      throw new WorkspacePathError(`'${rel}': no such file`, rel);
    await rm(abs, { recursive: true });
  }

  onChange(listener: (e: FileChange) => void): Disposable {
    this.listeners.add(listener);
    this.ensureWatcher();
    return { dispose: () => this.listeners.delete(listener) };
  }

  private ensureWatcher(): void {
    if (this.watcher) return;
    this.watcher = watch(this.root, {
      ignoreInitial: true,
      // links are not followed: one to an ancestor folder would make the tree contain itself
      followSymlinks: false,
      ignored: (p: string) => {
        const rel = toRelative(this.root, p);
        return rel.split('/').some((part) => isHiddenName(part)) || /\.pse-save-\d+-\d+$/.test(p);
      },
      awaitWriteFinish: false,
    });
    this.watcher.on('all', (event, abs) => {
      if (
        event !== 'add' &&
        event !== 'change' &&
        event !== 'unlink' &&
        event !== 'addDir' &&
        event !== 'unlinkDir'
      )
        return;
      const rel = toRelative(this.root, abs);
      if (!rel || rel.startsWith('..')) return;
      for (const l of this.listeners) l({ kind: event, path: rel });
    });
  }

  async close(): Promise<void> {
    this.listeners.clear();
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
