/** The import rules of docs/architecture.md are lint errors when broken (eslint.config.js). */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function errorsOf(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);
}

describe('import layers', () => {
  it.each([
    ['src/engine/template/probe.ts', "import { WorkerPool } from '../runtime/pool.js';"],
    ['src/engine/session/probe-store.ts', "import { HttpApp } from '../http/app.js';"],
    ['src/engine/session/probe-store.ts', "import { WorkerPool } from '../runtime/pool.js';"],
    ['src/engine/session/pg-load.ts', "import { Journal } from '../journal/journal.js';"],
    ['src/engine/http/probe.ts', "import { WorkerPool } from '../runtime/pool.js';"],
    ['src/engine/http/probe.ts', "import { SessionManager } from '../session/manager.js';"],
    ['src/engine/http/probe.ts', "import { Journal } from '../journal/journal.js';"],
    ['src/main/service/probe.ts', "import { Engine } from '../../engine/engine.js';"],
    ['src/cli/probe.ts', "import { HttpApp } from '../engine/http/app.js';"],
    ['src/common/probe.ts', "import { readFile } from 'node:fs';"],
  ])('%s may not: %s', async (file, line) => {
    expect(await errorsOf(file, `${line}\nexport const x = 1;\n`)).toContain(
      'no-restricted-imports',
    );
  });

  it('src/common is checked without Node globals', async () => {
    expect(await errorsOf('src/common/probe.ts', "export const x = Buffer.from('a');\n")).toContain(
      'no-undef',
    );
  });

  it('src/main and src/cli reach the engine through src/engine/index.ts', async () => {
    const ok = "import { Engine } from '../../engine/index.js';\nexport const x = Engine;\n";
    expect(await errorsOf('src/main/service/probe.ts', ok)).toEqual([]);
  });
});
