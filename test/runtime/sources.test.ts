import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompiledSource, LocatedError } from '../../src/engine/runtime/protocol.js';
import { TemplateSources } from '../../src/engine/runtime/sources.js';

const tmpDirs: string[] = [];
function made(dir: string): string {
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  return made(mkdtempSync(path.join(tmpdir(), 'pse-src-')));
}

const compiled = (r: CompiledSource | LocatedError): CompiledSource => {
  if (!('py' in r))
    throw new Error(`expected compiled source, got ${r.file}:${r.line}:${r.col}: ${r.message}`);
  return r;
};

describe('TemplateSources (real compiler)', () => {
  it('compiles once per (path, mtime, size) and recompiles when the file changes', async () => {
    const d = dir();
    const file = path.join(d, 'a.pt');
    writeFileSync(file, 'Hello <?= name ?>!');
    const s = new TemplateSources();
    const first = compiled(await s.get(file));
    expect(first.file).toBe(file);
    expect(first.py).toContain('name');
    expect(first.map.length).toBeGreaterThan(0);
    expect(compiled(await s.get(file))).toBe(first);
    expect(s.compileCount).toBe(1);

    writeFileSync(file, 'Bye <?= other ?>!!');
    const past = new Date(Date.now() + 5000);
    utimesSync(file, past, past);
    const second = compiled(await s.get(file));
    expect(second.py).toContain('other');
    expect(s.compileCount).toBe(2);
  });

  it('shares one compile between concurrent asks', async () => {
    const d = dir();
    const file = path.join(d, 'b.pt');
    writeFileSync(file, '<p>x</p>');
    const s = new TemplateSources();
    const all = await Promise.all(Array.from({ length: 5 }, () => s.provide(file)));
    expect(new Set(all).size).toBe(1);
    expect(s.compileCount).toBe(1);
  });

  it('compiles with the custom tag names it was given; a change of tags recompiles', async () => {
    const d = dir();
    const file = path.join(d, 'c.pt');
    writeFileSync(file, '<Box title="t">inside</Box>');
    const s = new TemplateSources();
    const plain = compiled(await s.get(file));
    s.setTags(['Box']);
    expect(s.tags.has('Box')).toBe(true);
    const tagged = compiled(await s.get(file));
    expect(tagged.py).not.toBe(plain.py);
    expect(tagged.py).toMatch(/Box/);
    s.setTags(['Box']); // same set: nothing recompiled
    await s.get(file);
    expect(s.compileCount).toBe(2);
    s.invalidate();
    await s.get(file);
    expect(s.compileCount).toBe(3);
  });

  it('answers a template error with its file, line and column', async () => {
    const d = dir();
    const file = path.join(d, 'bad.pt');
    writeFileSync(file, 'line one\n<? if x: ?>\nnever closed\n');
    const r = await new TemplateSources().get(file);
    expect('py' in r).toBe(false);
    const e = r as LocatedError;
    expect(e.file).toBe(file);
    expect(e.line).toBe(2);
    expect(e.col).toBeGreaterThanOrEqual(1);
    expect(e.message).toBeTruthy();
    // plain data: it crosses the pipe as JSON
    expect(JSON.parse(JSON.stringify(e))).toEqual(e);
  });

  it('answers a missing file with a located error, not an exception', async () => {
    const file = path.join(dir(), 'missing.pt');
    await expect(new TemplateSources().get(file)).resolves.toMatchObject({
      file,
      message: 'cannot read the template: no such file',
    });
  });

  it('turns a compiler exception into a located error', async () => {
    const d = dir();
    const file = path.join(d, 'x.pt');
    writeFileSync(file, 'x');
    const s = new TemplateSources(() => {
      throw new Error('boom');
    });
    await expect(s.get(file)).resolves.toMatchObject({
      file,
      line: 1,
      message: 'the template compiler failed: boom',
    });
  });
});
