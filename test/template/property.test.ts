/**
 * Property tests with fast-check over 10,000+ templates:
 * - well-formed templates built from every construct compile, and the real Python accepts the code;
 * - mutated and random templates either compile or fail with located TemplateErrors, never throw;
 *   when they compile, any Python syntax error maps to a position inside the template;
 * - text-only templates reproduce their text exactly when run.
 * Python checks run in batches through one worker's syntax check.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileTemplate,
  mapSyntaxErrors,
  TemplateError,
} from '../../src/engine/template/index.js';
import { runTemplates, startChecker, type SyntaxChecker } from './helpers/python.js';

const TAGS = new Set(['Box', 'Item']);
const SEED = Number(process.env.PSE_FC_SEED ?? Date.now() % 2 ** 31);
const BATCH = 400;

// ---------------------------------------------------------------- generators

/** Markup pieces that must come out verbatim: quotes, backslashes, `?>`, tags, unicode… */
const textPiece = fc.oneof(
  fc.constantFrom(
    'a',
    ' ',
    '\n',
    '\r\n',
    '\r',
    '\t',
    "'",
    '"',
    '\\',
    '\\n',
    "'''",
    '"""',
    '?>',
    '?',
    '=',
    ':',
    '#',
    '%s',
    '{x}',
    '<b>',
    '</b>',
    '< b',
    'a<3',
    '<br/>',
    '<a href="/x?y=1">',
    "<p class='c'>",
    '<!-- c -->',
    '<!DOCTYPE html>',
    '</div>',
    '<box>',
    '&amp;',
    'é',
    '日本',
    '😀',
    '\u2028',
    '\x00',
    '\x7f',
    '\ufeff',
    'Box',
    '<Boxer>',
  ),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => s.replace(/</g, '&lt;')),
);
const text = fc.array(textPiece, { maxLength: 6 }).map((a) => a.join(''));

const expr = fc.constantFrom(
  'x',
  '1 + 2',
  "'?>'",
  '"a\\"b"',
  '(a,\n b)',
  'x # c',
  '[i for i in range(3)]',
  "'''t\nq'''",
  'f"{x}"',
  'len("<?")',
  '\tx',
  ' x ',
  'a if b else c',
  'lambda: 1',
  'Markup("<i>")',
  'é',
  "r'\\\\'",
  '{"k": 1}["k"]',
);
const statement = fc.constantFrom(
  'y = 1',
  '\n  a = 1\n  b = 2\n',
  'pass',
  '# only a comment',
  '',
  '  ',
  's = """x\n  y\n"""',
  '\n\tt = 1\n\tu = 2\n',
  'import os',
  'x = [1,\n2,\n    3]',
  "d = {'?>': 1}",
  'z = 1; w = 2',
  'global g',
  'del_me = 0\ndel del_me',
  'v = (\n  1\n)',
  'q = 1 \\\n  + 2',
);
const attrName = fc.constantFrom('href', 'class', 'data-x', 'title', 'selected', 'id', 'on-click');
const attrValue = fc.oneof(
  expr.map((e) => `="=${e.replace(/"/g, "'")}"`),
  expr.map((e) => `='?${e.replace(/'/g, '"')}'`),
  fc.constantFrom('==x', '??page=2', 'plain', '', "it's", 'a > b').map((v) => `="${v}"`),
  fc.constant(''),
);
// Unique names: a custom tag's attributes become a dict, where a repeated name is an error.
const attrs = fc
  .uniqueArray(fc.tuple(attrName, attrValue), { maxLength: 3, selector: (a) => a[0] })
  .map((a) => a.map(([n, v]) => ` ${n}${v}`).join(''));

const tree = fc.letrec<{ node: string; nodes: string }>((tie) => ({
  nodes: fc.array(tie('node'), { maxLength: 4 }).map((a) => a.join('')),
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    expr.map((e) => `<?=${e}?>`),
    statement.map((s) => `<? ${s} ?>`),
    fc
      .tuple(
        fc.constantFrom('if x:', 'for i in y:', 'while False:', 'with a as b:', 'def f(q):'),
        tie('nodes'),
      )
      .map(([h, b]) => `<? ${h} ?>${b}<? :${h.split(' ')[0]} ?>`),
    fc
      .tuple(tie('nodes'), tie('nodes'), tie('nodes'))
      .map(([a, b, c]) => `<? if x: ?>${a}<? :elif y: ?>${b}<? :else: ?>${c}<? : ?>`),
    fc
      .tuple(tie('nodes'), tie('nodes'), tie('nodes'))
      .map(
        ([a, b, c]) => `<? try: ?>${a}<? :except KeyError as e: ?>${b}<? :finally: ?>${c}<? : ?>`,
      ),
    fc
      .tuple(fc.constantFrom('a', 'option', 'img'), attrs, tie('nodes'))
      .map(([t, a, b]) => `<${t}${a}>${b}</${t}>`),
    // Raw text: markup inside is not parsed, so only text and PIs belong there.
    fc
      .tuple(attrs, text, expr, text)
      .map(([a, t, e, u]) => `<script${a}>${t}<?= ${e} ?>${u}</script>`),
    fc
      .tuple(fc.constantFrom('Box', 'Item'), attrs, tie('nodes'), fc.boolean())
      .map(([t, a, b, empty]) => (empty ? `<${t}${a}/>` : `<${t}${a}>${b}</${t}>`)),
    expr.map((e) => `<a href="<?= ${e} ?>">l</a>`),
    fc.tuple(text, expr).map(([t, e]) => `<!-- ${t.replace(/-->/g, '')} <?= ${e} ?> -->`),
  ),
})) as unknown as { node: fc.Arbitrary<string>; nodes: fc.Arbitrary<string> };
const template = tree.nodes;

const junk = fc.constantFrom(
  '<?',
  '?>',
  '<? :',
  ':',
  '"',
  "'",
  "'''",
  '<Box>',
  '</Box>',
  '<? : ?>',
  '<?= ',
  '\n',
  '\r',
  '\t',
  '<',
  '=',
  '<? if x: ?>',
  '#',
  '\\',
);
const mutated = fc
  .tuple(
    template,
    fc.array(fc.tuple(fc.nat(), fc.nat({ max: 3 }), junk), { minLength: 1, maxLength: 4 }),
  )
  .map(([t, edits]) => {
    let s = t;
    for (const [at, del, ins] of edits) {
      const i = s.length ? at % (s.length + 1) : 0;
      s = s.slice(0, i) + ins + s.slice(i + del);
    }
    return s;
  });
const randomChars = fc.string({
  unit: fc.constantFrom(
    '<',
    '?',
    '>',
    '=',
    ':',
    '/',
    ' ',
    '"',
    "'",
    '\n',
    '\r',
    'a',
    'B',
    'Box',
    'if',
    '#',
    '\\',
    'é',
    '\ud800',
  ),
  maxLength: 40,
});

// ---------------------------------------------------------------- checks

let checker: SyntaxChecker;
beforeAll(async () => {
  checker = await startChecker();
});
afterAll(() => checker.close());

function lineCount(s: string): number {
  return s.split(/\r\n|\r|\n/).length;
}

function expectLocated(errors: readonly TemplateError[], source: string): void {
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) {
    expect(e).toBeInstanceOf(TemplateError);
    expect(e.message).not.toMatch(/internal compiler error/);
    expect(e.line).toBeGreaterThanOrEqual(1);
    expect(e.line).toBeLessThanOrEqual(lineCount(source));
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(typeof e.excerpt).toBe('string');
  }
}

interface Compiled {
  source: string;
  py: string;
  map: [number, number, number][];
  cols: number[];
}

/** Compiles every source; returns those that compiled (the others are checked for locations). */
function compileAll(sources: readonly string[], mustCompile: boolean): Compiled[] {
  const out: Compiled[] = [];
  for (const source of sources) {
    const r = compileTemplate(source, { file: 'gen.pt', tags: TAGS });
    if (r.ok) out.push({ source, py: r.py, map: r.map, cols: r.cols });
    else if (mustCompile)
      throw new Error(
        `seed ${SEED}: a well-formed template failed:\n${JSON.stringify(source)}\n${r.errors.map((e) => e.format()).join('\n')}`,
      );
    else expectLocated(r.errors, source);
  }
  return out;
}

async function pythonErrors(
  compiled: readonly Compiled[],
): Promise<Map<number, Awaited<ReturnType<SyntaxChecker['check']>>>> {
  const found = new Map<number, Awaited<ReturnType<SyntaxChecker['check']>>>();
  for (let i = 0; i < compiled.length; i += BATCH) {
    const batch = compiled.slice(i, i + BATCH);
    const errs = await checker.check(batch.map((c, k) => ({ name: String(i + k), code: c.py })));
    for (const e of errs) found.set(Number(e.name), [e]);
  }
  return found;
}

describe(`template compiler properties (seed ${SEED})`, () => {
  it('well-formed templates compile to Python that python3 accepts (5,000 cases)', async () => {
    const sources = fc.sample(template, { numRuns: 5000, seed: SEED });
    const compiled = compileAll(sources, true);
    const errors = await pythonErrors(compiled);
    const bad = [...errors]
      .slice(0, 3)
      .map(
        ([i, e]) =>
          `${JSON.stringify(compiled[i]!.source)}\n→ ${JSON.stringify(e)}\n${compiled[i]!.py}`,
      );
    expect(bad, `seed ${SEED}`).toEqual([]);
  });

  it('mutated and random templates give Python or located errors, never a crash (5,500 cases)', async () => {
    const sources = [
      ...fc.sample(mutated, { numRuns: 4000, seed: SEED + 1 }),
      ...fc.sample(randomChars, { numRuns: 1500, seed: SEED + 2 }),
    ];
    const compiled = compileAll(sources, false);
    const errors = await pythonErrors(compiled);
    for (const [i, errs] of errors) {
      const c = compiled[i]!;
      expectLocated(mapSyntaxErrors(errs, c, { file: 'gen.pt', source: c.source }), c.source);
    }
    // The mix must exercise both outcomes, or the property proves little.
    expect(compiled.length).toBeGreaterThan(500);
    expect(compiled.length).toBeLessThan(sources.length - 500);
  });

  it('text-only templates reproduce their text byte for byte (500 cases)', async () => {
    const texts = fc.sample(
      fc
        .array(
          fc.oneof(
            textPiece,
            fc.string({ unit: 'binary', maxLength: 8 }).map((s) => s.replace(/</g, '&lt;')),
          ),
          { maxLength: 12 },
        )
        .map((a) => a.join('')),
      { numRuns: 500, seed: SEED + 3 },
    );
    const cases = texts.map((t, i) => {
      const r = compileTemplate(t, { file: 't.pt', tags: new Set() });
      if (!r.ok) throw new Error(`seed ${SEED}: text failed to compile: ${JSON.stringify(t)}`);
      return { name: String(i), py: r.py };
    });
    const results = await runTemplates(cases);
    results.forEach((r, i) => {
      const expected = texts[i]!.charCodeAt(0) === 0xfeff ? texts[i]!.slice(1) : texts[i]!;
      expect(r.out, `seed ${SEED}: ${JSON.stringify(texts[i])}`).toBe(expected);
    });
  });
});
