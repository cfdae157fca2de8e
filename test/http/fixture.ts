/** A throw-away document root with every kind of file the URL mapping must tell apart. */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface Fixture {
  root: string;
  outside: string;
  remove(): Promise<void>;
}

export async function makeDocRoot(): Promise<Fixture> {
  const base = await mkdtemp(path.join(os.tmpdir(), 'pse-http-'));
  const root = path.join(base, 'app');
  const outside = path.join(base, 'outside');
  await mkdir(path.join(root, 'sub'), { recursive: true });
  await mkdir(path.join(root, 'empty'), { recursive: true });
  await mkdir(path.join(root, '.git'), { recursive: true });
  await mkdir(outside, { recursive: true });
  const files: Record<string, string> = {
    'index.pt': 'index',
    'hello.pt': 'hello',
    'hello.py': 'greeting = 1',
    'hello.pty': 'generated',
    'helper.py': 'x = 1',
    'pse.conf': '[Main]\n',
    '.env': 'SECRET=1',
    '.git/config': '[core]',
    'style.css': 'body { color: red }\n',
    'data.json': '{"a":1}',
    'sub/index.pt': 'sub index',
    'sub/page.pt': 'sub page',
    'sub/notes.txt': '0123456789',
  };
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(root, name), text);
  await writeFile(path.join(outside, 'secret.txt'), 'outside the root');
  await symlink(path.join(outside, 'secret.txt'), path.join(root, 'escape.txt'));
  await symlink(outside, path.join(root, 'escape-dir'));
  await symlink(path.join(root, 'style.css'), path.join(root, 'alias.css'));
  await symlink(path.join(root, 'helper.py'), path.join(root, 'helper.txt'));
  return { root, outside, remove: () => rm(base, { recursive: true, force: true }) };
}
