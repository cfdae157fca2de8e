/**
 * One test per error kind of the template language (docs/language.md, Templates), each asserting the exact line and
 * column, the stage, and that the message says what is expected and what is still open.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileTemplate,
  mapSyntaxErrors,
  TemplateError,
} from '../../src/engine/template/index.js';
import { startChecker, type SyntaxChecker } from './helpers/python.js';

const TAGS = new Set(['A', 'B']);

function errorsOf(source: string): TemplateError[] {
  const r = compileTemplate(source, { file: 'page.pt', tags: TAGS });
  if (r.ok) throw new Error(`expected an error, got:\n${r.py}`);
  for (const e of r.errors) expect(e).toBeInstanceOf(TemplateError);
  return r.errors;
}

function only(source: string): TemplateError {
  const errs = errorsOf(source);
  expect(errs).toHaveLength(1);
  return errs[0]!;
}

describe('lex errors', () => {
  it('unterminated <? names where it was opened', () => {
    const e = only('<p>ok</p>\n  <? x = 1\n  y = 2\n');
    expect([e.stage, e.line, e.col]).toEqual(['lex', 2, 3]);
    expect(e.message).toMatch(/unterminated '<\?'.*no '\?>'/);
    expect(e.excerpt).toBe('  <? x = 1\n  ^');
  });

  it('unterminated <? because a triple-quoted string never closes', () => {
    const e = only('<? s = """abc ?>\n<p>\n');
    expect([e.line, e.col]).toEqual([1, 1]);
    expect(e.message).toContain('string opened at 1:8 is never closed');
  });

  it('a PI inside a custom tag', () => {
    const e = only('x\n<A title="<?= t ?>"></A>');
    expect([e.stage, e.line, e.col]).toEqual(['lex', 2, 11]);
    expect(e.message).toContain('title="=expr"');
  });
});

describe('parse errors', () => {
  it('a close with no open block', () => {
    const e = only('<p>\n</p> <? :if ?>');
    expect([e.stage, e.line, e.col]).toEqual(['parse', 2, 6]);
    expect(e.message).toBe("'<? : ?>' closes a block, but no block is open");
  });

  it('blocks still open at the end of the file: each named at its opener', () => {
    const errs = errorsOf('<? if x: ?>\n  <? for y in z: ?>\n<?= y ?>\n');
    expect(errs.map((e) => [e.line, e.col])).toEqual([
      [1, 1],
      [2, 3],
    ]);
    expect(errs[0]!.message).toBe(
      "the block 'if x:' opened at 1:1 is never closed: expected '<? : ?>' before the end of the file",
    );
    expect(errs[1]!.message).toContain("'for y in z:' opened at 2:3");
  });

  it('a clause with nothing to attach to', () => {
    const e = only('text\n<? :else: ?>more');
    expect([e.line, e.col]).toEqual([2, 1]);
    expect(e.message).toBe("the clause 'else:' has nothing to attach to: no block is open");
  });

  it('a clause that cannot continue the open block', () => {
    const e = only('<? for i in x: ?>\n<? :elif y: ?><? : ?>');
    expect([e.line, e.col]).toEqual([2, 1]);
    expect(e.message).toContain("'elif' cannot follow 'for'");
    expect(e.message).toContain("block 'for i in x:' opened at 1:1");
  });

  it('else written as an opener gets the fix', () => {
    const e = only('<? if x: ?>a\n <? else: ?>b<? : ?>');
    expect([e.line, e.col]).toEqual([2, 2]);
    expect(e.message).toContain("write '<? :else: ?>'");
  });

  it('mis-nested custom tags', () => {
    const e = only('<A>\n  <B>x</A></B>');
    expect([e.line, e.col]).toEqual([2, 7]);
    expect(e.message).toBe(
      '</A> does not match the custom tag <B> opened at 2:3: expected </B> first (custom tags must nest)',
    );
  });

  it('a custom tag closed while a block inside it is open', () => {
    const e = only('<A><? if x: ?>\n</A><? : ?>');
    expect([e.line, e.col]).toEqual([2, 1]);
    expect(e.message).toContain("the block 'if x:' opened at 1:4 inside it is still open");
  });

  it('a block closed while a custom tag inside it is open', () => {
    const e = only('<? if x: ?><A>\n<? : ?></A>');
    expect([e.line, e.col]).toEqual([2, 1]);
    expect(e.message).toContain(
      'the custom tag <A> opened at 1:12 is still open inside it: expected </A> first',
    );
  });

  it('a custom tag closing nothing, and one never closed', () => {
    expect(only('x</B>').message).toBe('</B> closes nothing: no <B> is open');
    const e = only('\n\n   <A>');
    expect([e.line, e.col, e.message]).toEqual([
      3,
      4,
      'the custom tag <A> opened at 3:4 is never closed: expected </A> before the end of the file',
    ]);
  });

  it('empty expressions', () => {
    expect([only('a <?=  ?>').col, only('a <?=  ?>').message]).toEqual([
      3,
      "'<?= ?>' needs an expression",
    ]);
    const e = only('<a\n  href="=">');
    expect([e.line, e.col]).toEqual([2, 3]);
    expect(e.message).toContain("write '==' for a literal '='");
    expect(only('<A x="?"/>').message).toContain("write '??' for a literal '?'");
  });

  it('a duplicate attribute of a custom tag', () => {
    const e = only('<A x="1" x="=2"/>');
    expect([e.line, e.col]).toEqual([1, 10]);
  });

  it('only Python clause words are clauses (not names every JavaScript object has)', () => {
    // `constructor`, `toString`… are no clause: Python judges these headers, the parser does not.
    for (const word of ['constructor', 'toString', '__proto__']) {
      const opener = compileTemplate(`<? ${word}: ?>x<? : ?>`, { file: 'page.pt' });
      expect(opener.ok).toBe(true);
      const clause = compileTemplate(`<? if x: ?>a<? :${word}: ?>b<? : ?>`, { file: 'page.pt' });
      expect(clause.ok).toBe(true);
    }
  });

  it('reports every local error, not only the first', () => {
    expect(errorsOf('<?= ?>\n<?= ?>').map((e) => e.line)).toEqual([1, 2]);
  });
});

describe('Python syntax errors mapped to the template', () => {
  let checker: SyntaxChecker;
  beforeAll(async () => {
    checker = await startChecker();
  });
  afterAll(() => checker.close());

  async function pyError(source: string): Promise<TemplateError> {
    const r = compileTemplate(source, { file: 'page.pt', tags: TAGS });
    if (!r.ok) throw new Error(r.errors.map((e) => e.format()).join('\n'));
    const errs = await checker.check([{ name: 'page.pt', code: r.py }]);
    expect(errs).toHaveLength(1);
    const mapped = mapSyntaxErrors(errs, r, { file: 'page.pt', source });
    expect(mapped[0]!.stage).toBe('python');
    return mapped[0]!;
  }

  it('in a statement PI', async () => {
    const e = await pyError('<p>\n  <? x = (1 + ?>\n</p>');
    expect([e.line, e.col]).toEqual([2, 10]);
    expect(e.message).toBe("Python syntax error: '(' was never closed");
    expect(e.excerpt).toBe('  <? x = (1 + ?>\n         ^');
  });

  it('in an expression', async () => {
    const e = await pyError('a\nb <?= x y ?>');
    expect([e.line, e.col]).toEqual([2, 7]);
  });

  it('on a later line of a multi-line PI', async () => {
    const e = await pyError('<?\n  a = 1\n    b = 2\n?>');
    expect([e.line, e.col, e.message]).toEqual([3, 5, 'Python syntax error: unexpected indent']);
  });

  it('inside a block, after text with quotes and newlines', async () => {
    const e = await pyError('<? if x: ?>it\'s\n"here"\n<? return ?><? : ?>');
    expect([e.line, e.col]).toEqual([3, 4]);
    expect(e.message).toContain("'return' outside function");
  });

  it('in an attribute expression and in a custom tag attribute', async () => {
    expect([
      (await pyError('<img\n src="=a b">')).line,
      (await pyError('<img\n src="=a b">')).col,
    ]).toEqual([2, 8]);
    // Python points at the `)` after `1 +`, which stands where the closing quote is
    const e = await pyError('<A x="1"\n   y="=1 +"></A>');
    expect([e.line, e.col]).toEqual([2, 11]);
  });

  it('an unterminated string in a PI does not swallow the page', async () => {
    const e = await pyError('<? x = "abc ?>\n<p>more</p>');
    expect([e.line, e.col]).toEqual([1, 8]);
    expect(e.message).toContain('unterminated string literal');
  });
});

describe('TemplateError', () => {
  it('serialises its location and prints like a compiler', () => {
    const e = only('\n<? :x ?>');
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      stage: 'parse',
      file: 'page.pt',
      line: 2,
      col: 1,
      message: "'<? : ?>' closes a block, but no block is open",
      excerpt: '<? :x ?>\n^',
    });
    expect(e.format()).toBe(
      "page.pt:2:1: '<? : ?>' closes a block, but no block is open\n    <? :x ?>\n    ^",
    );
  });
});
