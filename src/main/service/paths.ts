/**
 * Confinement of Studio paths to the application root. Every path that arrives over the API is
 * app-relative and '/'-separated; anything that would leave the root is refused with a message
 * that names the path.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';

export class WorkspacePathError extends Error {
  override name = 'WorkspacePathError';
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
  }
}

/** Folders never shown nor touched: engine state and tooling. */
const HIDDEN = new Set(['.pse', '.git', 'node_modules', '__pycache__']);

export function isHiddenName(name: string): boolean {
  return HIDDEN.has(name);
}

/** Resolves an app-relative path to an absolute one inside `root`, or throws. */
export function resolveInside(root: string, rel: string): string {
  if (rel.includes('\0')) throw new WorkspacePathError(`path contains a NUL character`, rel);
  if (rel.includes('\\')) throw new WorkspacePathError(`'${rel}': use '/' as the separator`, rel);
  if (rel.startsWith('/') || /^[A-Za-z]:/.test(rel))
    throw new WorkspacePathError(`'${rel}': expected a path relative to the application`, rel);
  const parts = rel.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0)
    throw new WorkspacePathError(`'${rel}': names the application folder itself`, rel);
  if (parts.includes('..'))
    throw new WorkspacePathError(`'${rel}': '..' leaves the application folder`, rel);
  if (parts.some(isHiddenName))
    throw new WorkspacePathError(
      `'${rel}': ${parts.find(isHiddenName)} is not part of the workspace`,
      rel,
    );
  return path.join(root, ...parts);
}

/**
 * Like resolveInside, and also refuses a path whose existing part is a symlink leading out of
 * the root (checked on the deepest existing ancestor, so it works for files about to be created).
 */
export async function resolveReal(root: string, rel: string): Promise<string> {
  const abs = resolveInside(root, rel);
  const realRoot = await realpath(root);
  let probe = abs;
  for (;;) {
    try {
      const real = await realpath(probe);
      if (real !== realRoot && !real.startsWith(realRoot + path.sep))
        throw new WorkspacePathError(`'${rel}': leads outside the application folder`, rel);
      return abs;
    } catch (err) {
      if (err instanceof WorkspacePathError) throw err;
      const parent = path.dirname(probe);
      if (parent === probe) return abs;
      probe = parent;
    }
  }
}

/** The app-relative '/'-form of an absolute path inside root. */
export function toRelative(root: string, abs: string): string {
  return path.relative(root, abs).split(path.sep).join('/');
}
