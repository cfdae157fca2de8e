/**
 * compileTemplate runs the stages as a pipeline (tokens handed to the parser as found, top-level
 * nodes to codegen as completed). It must give exactly what running the stages one after the
 * other gives: same Python, same map, same columns, and the same errors.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTemplate, generate, lex, parse } from '../../src/engine/template/index.js';
import { bigTemplate, BIG_TAGS } from './helpers/big.js';

const CORPUS = fileURLToPath(new URL('./corpus', import.meta.url));
const TAGS = new Set(['Box', 'Item', 'Upper']);

function staged(source: string, tags: ReadonlySet<string>): unknown {
  const lexed = lex(source, 'p.pt', tags);
  if (lexed.errors.length) return { ok: false, errors: lexed.errors.map((e) => e.toJSON()) };
  const parsed = parse(lexed.tokens, 'p.pt', lexed.lines);
  if (parsed.errors.length) return { ok: false, errors: parsed.errors.map((e) => e.toJSON()) };
  const g = generate(parsed.tree);
  return { ok: true, py: g.py, map: g.map, cols: g.cols };
}

function piped(source: string, tags: ReadonlySet<string>): unknown {
  const r = compileTemplate(source, { file: 'p.pt', tags });
  return r.ok ? r : { ok: false, errors: r.errors.map((e) => e.toJSON()) };
}

describe('the pipelined compile equals the stages run one by one', () => {
  const names = readdirSync(CORPUS).filter((f) => f.endsWith('.pt'));
  it.each(names)('%s', (name) => {
    const source = readFileSync(path.join(CORPUS, name), 'utf8');
    expect(piped(source, TAGS)).toEqual(staged(source, TAGS));
  });

  it('a large template, handed on in many batches', () => {
    const source = bigTemplate(200 * 1024);
    const r = piped(source, BIG_TAGS) as { ok: boolean; map: unknown[] };
    expect(r.ok).toBe(true);
    expect(r.map.length).toBeGreaterThan(10_000);
    expect(r).toEqual(staged(source, BIG_TAGS));
  });

  it('an error after many completed nodes: nothing generated, the error reported', () => {
    const source = bigTemplate(20 * 1024) + '\n<? : ?>\n' + bigTemplate(1024);
    const r = piped(source, BIG_TAGS) as { ok: boolean; errors: { line: number }[] };
    expect(r.ok).toBe(false);
    expect(r).toEqual(staged(source, BIG_TAGS));
    expect(r.errors[0]!.line).toBe(source.split('\n').indexOf('<? : ?>') + 1);
  });

  it('a lex error after a parse error: the lex error wins, as with separate stages', () => {
    const source = '</Box>\n' + 'x'.repeat(100) + '\n<? a = 1';
    const r = piped(source, BIG_TAGS) as { ok: boolean; errors: { stage: string }[] };
    expect(r.ok).toBe(false);
    expect(r.errors.map((e) => e.stage)).toEqual(['lex']);
    expect(r).toEqual(staged(source, BIG_TAGS));
  });
});
