/**
 * The sources of another revision beside this checkout, for benchmarks that run this tree and
 * a base in one process (their modules imported side by side through tsx).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');

/** PSE_BENCH_BASE (a git revision), else the merge base of HEAD with main. */
export function baseRevision(): string {
  return (
    process.env.PSE_BENCH_BASE ??
    execFileSync('git', ['merge-base', 'HEAD', 'main'], { cwd: ROOT, encoding: 'utf8' }).trim()
  );
}

/** `rev`'s files under `dir`/base (`git archive`), sharing this checkout's node_modules. */
export function checkOutBase(rev: string, dir: string): string {
  const tree = path.join(dir, 'base');
  fs.mkdirSync(tree);
  execFileSync('sh', ['-c', `git archive ${rev} | tar -x -C ${JSON.stringify(tree)}`], {
    cwd: ROOT,
  });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(tree, 'node_modules'));
  return tree;
}
