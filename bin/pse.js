#!/usr/bin/env node
// The `pse` command. The CLI is compiled by `npm run build` into dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  console.error(
    'pse: the CLI is not built yet. Run `npm run build` in ' +
      fileURLToPath(new URL('..', import.meta.url)),
  );
  process.exit(1);
}
await import(entry.href);
