/**
 * Golden tests: every corpus/NAME.pt is compiled, its Python run by the real interpreter (all
 * in one process, see helpers/harness.py) with NAME.vars.json, and the page compared with NAME.html
 * byte for byte.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/engine/template/index.js';
import { runTemplates, type RunResult } from './helpers/python.js';

const CORPUS = fileURLToPath(new URL('./corpus', import.meta.url));
const TAGS = new Set(['Box', 'Item', 'Upper']);
const names = readdirSync(CORPUS)
  .filter((f) => f.endsWith('.pt'))
  .map((f) => f.slice(0, -3))
  .sort();

const read = (name: string, ext: string): string =>
  readFileSync(path.join(CORPUS, name + ext), 'utf8');

let results: Map<string, RunResult>;

beforeAll(async () => {
  const cases = names.map((name) => {
    const r = compileTemplate(read(name, '.pt'), { file: `${name}.pt`, tags: TAGS });
    if (!r.ok)
      throw new Error(
        `${name}.pt does not compile:\n${r.errors.map((e) => e.format()).join('\n')}`,
      );
    const varsFile = path.join(CORPUS, `${name}.vars.json`);
    const vars = existsSync(varsFile)
      ? (JSON.parse(readFileSync(varsFile, 'utf8')) as Record<string, unknown>)
      : {};
    return { name: `${name}.pt`, py: r.py, vars };
  });
  results = new Map((await runTemplates(cases)).map((r) => [r.name, r]));
});

describe('golden corpus', () => {
  it('has a case for every construct', () => {
    expect(names.length).toBeGreaterThanOrEqual(20);
  });

  it.each(names)('%s', (name) => {
    const r = results.get(`${name}.pt`)!;
    expect(r.error).toBeUndefined();
    expect(r.out).toBe(read(name, '.html'));
  });
});
