#!/usr/bin/env node
// The `pse` command. The CLI is compiled and bundled by `npm run build` into dist/pse/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/pse/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error(
    'pse: the CLI is not built yet. Run `npm run build` in ' +
      fileURLToPath(new URL('..', import.meta.url)),
  );
  process.exit(1);
}
await import(entry.href);
