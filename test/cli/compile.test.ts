/** `pse compile SRC [DEST]` on a tree: errors located, .pty files written, exit status. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCompile } from '../../src/cli/commands/compile.js';

const ENTRY = fileURLToPath(new URL('./helpers/cli-entry.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let dir: string;

function put(rel: string, text: string): void {
  const file = path.join(dir, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function buffer(): { text: string; write(s: string): void } {
  return {
    text: '',
    write(s: string) {
      this.text += s;
    },
  };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pse-compile-'));
  put('good.pt', '<p><?= greeting ?></p>\n<Box n="=1"/>\n');
  put('good.py', "greeting = 'hi'\n");
  put('sub/unclosed.pt', '<ul>\n<? for i in x: ?>\n  <li><?= i ?></li>\n</ul>\n');
  put('sub/deeper/syntax.pt', 'ok\n\n   <? y = = 2 ?>\n');
  put('sub/broken.py', 'def f(:\n    pass\n');
  put('.hidden/ignored.pt', '<? :nothing ?>');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('pse compile (a real process)', () => {
  it('exits 1 and prints every error located, with an excerpt', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', ENTRY, 'compile', dir, '--tags', 'Box'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    expect(r.status).toBe(1);
    const rel = (p: string): string => path.relative(ROOT, path.join(dir, p));
    expect(r.stderr).toContain(`${rel('sub/broken.py')}:1:7: Python syntax error: invalid syntax`);
    expect(r.stderr).toContain(
      `${rel('sub/deeper/syntax.pt')}:3:11: Python syntax error: invalid syntax\n       <? y = = 2 ?>\n              ^`,
    );
    expect(r.stderr).toContain(
      `${rel('sub/unclosed.pt')}:2:1: the block 'for i in x:' opened at 2:1 is never closed`,
    );
    expect(r.stderr).not.toContain('ignored.pt');
    expect(r.stdout).toContain('3 templates, 2 code modules: 3 errors');
    // .pty beside each template that compiled (even when Python rejects it: it is for reading)
    expect(readFileSync(path.join(dir, 'good.pty'), 'utf8')).toContain(
      "__pse_tag_open__('Box', {\n    'n': (1),\n}, True)",
    );
    expect(existsSync(path.join(dir, 'sub/deeper/syntax.pty'))).toBe(true);
    expect(existsSync(path.join(dir, 'sub/unclosed.pty'))).toBe(false);
  });

  it('shows its help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'compile', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--stage <stage>');
    expect(r.stdout).toContain('[dest]');
  });
});

describe('runCompile', () => {
  it('writes under DEST mirroring the tree, and exits 0 on a clean tree', async () => {
    const clean = mkdtempSync(path.join(tmpdir(), 'pse-clean-'));
    const out = mkdtempSync(path.join(tmpdir(), 'pse-out-'));
    try {
      mkdirSync(path.join(clean, 'a/b'), { recursive: true });
      writeFileSync(path.join(clean, 'a/b/page.pt'), '<? if 1: ?>x<? : ?>');
      writeFileSync(path.join(clean, 'index.pt'), 'hello');
      const o = buffer();
      const e = buffer();
      expect(await runCompile({ src: clean, dest: out }, { out: o, err: e })).toBe(0);
      expect(e.text).toBe('');
      expect(o.text).toContain('2 templates, 0 code modules: ok');
      expect(readFileSync(path.join(out, 'a/b/page.pty'), 'utf8')).toContain(
        "if 1:\n    __pse_out__('x')",
      );
      expect(existsSync(path.join(out, 'index.pty'))).toBe(true);
      expect(existsSync(path.join(clean, 'index.pty'))).toBe(false);
    } finally {
      rmSync(clean, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('dumps one stage of one template', async () => {
    const file = path.join(dir, 'good.pt');
    const tokens = buffer();
    expect(
      await runCompile(
        { src: file, stage: 'tokens', tags: ['Box'] },
        { out: tokens, err: buffer() },
      ),
    ).toBe(0);
    const parsed = JSON.parse(tokens.text) as { kind: string; line: number; col: number }[];
    expect(parsed.map((t) => [t.kind, t.line, t.col])).toEqual([
      ['text', 1, 1],
      ['pi', 1, 4],
      ['text', 1, 19],
      ['tagOpen', 2, 1],
      ['text', 2, 14],
    ]);
    const ast = buffer();
    await runCompile({ src: file, stage: 'ast', tags: ['Box'] }, { out: ast, err: buffer() });
    expect((JSON.parse(ast.text) as { type: string }).type).toBe('template');
    const py = buffer();
    await runCompile({ src: file, stage: 'py' }, { out: py, err: buffer() });
    expect(py.text).toContain('__pse_out__(__pse_str__((greeting)))');
  });

  it('refuses what it cannot do, with the reason', async () => {
    const e = buffer();
    expect(await runCompile({ src: path.join(dir, 'nope') }, { out: buffer(), err: e })).toBe(2);
    expect(e.text).toContain('no such file or folder');
    const f = buffer();
    expect(await runCompile({ src: dir, stage: 'py' }, { out: buffer(), err: f })).toBe(2);
    expect(f.text).toContain('--stage needs a single .pt file');
  });
});

describe('custom tags from the tag modules (docs/language.md, Custom tags)', () => {
  const EXAMPLES = path.join(ROOT, 'examples');

  it('`pse compile examples` compiles <Box> as a custom tag without --tags', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pse-tags-'));
    try {
      const e = buffer();
      expect(await runCompile({ src: EXAMPLES, dest: out }, { out: buffer(), err: e })).toBe(0);
      expect(e.text).toBe('');
      const pty = readFileSync(path.join(out, 'tags_demo.pty'), 'utf8');
      expect(pty).toContain("__pse_tag_open__('Box', {'title': 'A custom tag'}, False)");
      expect(pty).toContain("__pse_tag_close__('Box')");
      expect(pty).toContain("__pse_tag_open__('Shout', {}, False)");
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('finds pse.conf above a single template, and --tags adds to the discovered names', async () => {
    const app = mkdtempSync(path.join(tmpdir(), 'pse-tagapp-'));
    try {
      mkdirSync(path.join(app, 'lib'));
      mkdirSync(path.join(app, 'pages'));
      writeFileSync(path.join(app, 'pse.conf'), '[Main]\nPath = lib\nTagModules = kit\n');
      writeFileSync(
        path.join(app, 'lib/kit.py'),
        'from pse.tags import CustomTag\n\nclass Card(CustomTag):\n    pass\n',
      );
      writeFileSync(path.join(app, 'pages/p.pt'), '<Card/><Extra/><plain/>\n');
      const e = buffer();
      expect(
        await runCompile(
          { src: path.join(app, 'pages/p.pt'), tags: ['Extra'] },
          { out: buffer(), err: e },
        ),
      ).toBe(0);
      expect(e.text).toBe('');
      const pty = readFileSync(path.join(app, 'pages/p.pty'), 'utf8');
      expect(pty).toContain("__pse_tag_open__('Card', {}, True)");
      expect(pty).toContain("__pse_tag_open__('Extra', {}, True)");
      expect(pty).toContain("__pse_out__('<plain/>\\n')");
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it('reports a broken tag module where it breaks, and exits 1 without writing', async () => {
    const app = mkdtempSync(path.join(tmpdir(), 'pse-badtags-'));
    try {
      mkdirSync(path.join(app, 'lib'));
      writeFileSync(path.join(app, 'pse.conf'), '[Main]\nPath = lib\nTagModules = kit\n');
      writeFileSync(
        path.join(app, 'lib/kit.py'),
        'from pse.tags import CustomTag\n\nclass Card(CustomTag):\n    pass\n\ndef f(:\n    pass\n',
      );
      writeFileSync(path.join(app, 'p.pt'), '<Card/>\n');
      const e = buffer();
      expect(await runCompile({ src: app }, { out: buffer(), err: e })).toBe(1);
      const rel = path.relative(process.cwd(), path.join(app, 'lib/kit.py'));
      expect(e.text).toContain(`${rel}:6:7: SyntaxError: invalid syntax\n    def f(:\n          ^`);
      expect(e.text).toContain("tag module 'kit' failed to load");
      expect(existsSync(path.join(app, 'p.pty'))).toBe(false);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
