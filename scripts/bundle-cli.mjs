/**
 * The `pse` command as a few files: the CLI as tsc writes it (`dist/cli/main.js` and the ~130
 * modules it reaches) bundled into `dist/pse/`, one file for the CLI and one chunk per part it
 * loads later (`import()` stays lazy: `pse --version` loads no engine). Node resolving, reading
 * and compiling each module apart was most of its CPU at start, before anything ran; packages
 * stay outside, loaded from node_modules as before. Run by `npm run build` after tsc.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(root, 'dist', 'pse');

rmSync(out, { recursive: true, force: true });
await build({
  input: { main: path.join(root, 'dist', 'cli', 'main.js') },
  platform: 'node',
  // Node's modules and every package: only PSE's own code is bundled.
  external: [/^node:/, /^[^./]/],
  logLevel: 'warn',
  output: { dir: out, format: 'esm', chunkFileNames: '[name]-[hash].js' },
});
