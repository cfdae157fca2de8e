/**
 * The StudioApi contract, run once per transport (in-memory pair, WebSocket): the same calls
 * must give the same answers and the same errors whichever way they travel.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect, it } from 'vitest';
import type { FileChange } from '../../src/common/api.js';
import { RpcError, type ApiClient } from '../../src/common/rpc.js';
import { until } from './helpers.js';

export interface ContractContext {
  client(): ApiClient;
  /** sends a raw text message on the transport and resolves with the next reply to it */
  raw(message: string): Promise<unknown>;
  appDir(): string;
}

export function apiContract(ctx: ContractContext): void {
  it('lists the example app and reads a file', async () => {
    const api = ctx.client();
    const ws = await api.getWorkspace();
    expect(ws.root).toBe(ctx.appDir());
    const tree = await api.listTree();
    expect(tree).toContainEqual({ path: 'session_example.pt', kind: 'file' });
    const file = await api.readFile('session_example.py');
    expect(file.text).toContain("data['name'] = form['name']");
  });

  it('writes, creates, renames and deletes files inside the app only', async () => {
    const api = ctx.client();
    await api.createFile('notes/todo.txt', 'file');
    await api.writeFile('notes/todo.txt', 'one\n');
    expect(await readFile(path.join(ctx.appDir(), 'notes/todo.txt'), 'utf8')).toBe('one\n');
    await api.renamePath('notes/todo.txt', 'notes/done.txt');
    await expect(api.readFile('notes/todo.txt')).rejects.toThrow(/no such file/);
    await api.deletePath('notes');
    expect((await api.listTree()).some((e) => e.path.startsWith('notes'))).toBe(false);
    await expect(api.readFile('../outside.txt')).rejects.toThrow(/leaves the application folder/);
    await expect(api.writeFile('/etc/passwd', 'x')).rejects.toThrow(/relative to the application/);
  });

  it('reports compile errors with their line and column', async () => {
    const api = ctx.client();
    const problems = await api.compileCheck('hello.pt', '<p>\n<? if x: ?>\nopen\n');
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.file).toBe('hello.pt');
    expect(problems[0]!.line).toBe(2);
    const py = await api.compileCheck('hello.py', 'x = (\n');
    expect(py[0]).toMatchObject({ file: 'hello.py', stage: 'python' });
  });

  it('previews a servlet with unsaved text as a dry run', async () => {
    const api = ctx.client();
    const res = await api.preview({
      path: 'hello.pt',
      overrides: { 'hello.py': "greeting = 'Unsaved!'" },
      method: 'GET',
      query: '',
      form: [],
      cookies: {},
      session: { kind: 'none' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toContain('Unsaved!');
    expect(await readFile(path.join(ctx.appDir(), 'hello.py'), 'utf8')).toContain('Hello, world!');
  });

  it("quotes a traceback's source lines from the unsaved text, not from the disk", async () => {
    const api = ctx.client();
    const base = {
      path: 'hello.pt',
      method: 'GET' as const,
      query: '',
      form: [],
      cookies: {},
      session: { kind: 'none' as const },
    };
    // code module: line 1 on disk is `greeting = 'Hello, world!'`
    const py = await api.preview({ ...base, overrides: { 'hello.py': 'boom = 1 / 0\n' } });
    expect(py.error?.type).toBe('ZeroDivisionError');
    expect(py.error?.frames.at(-1)).toMatchObject({
      file: 'hello.py',
      line: 1,
      source: 'boom = 1 / 0',
    });
    expect(py.error?.text).toMatch(/line 1\b.*\n {4}boom = 1 \/ 0\n/);
    expect(py.error?.text).not.toContain('Hello, world!');
    expect(py.body).toContain('boom = 1 / 0');
    expect(py.body).not.toContain('Hello, world!');
    // template: line 3 on disk is `<head><title>Hello</title></head>`
    const pt = await api.preview({
      ...base,
      overrides: { 'hello.pt': '<p>one</p>\n\n<p><?= 1 / 0 ?></p>\n' },
    });
    expect(pt.error?.frames.find((f) => f.file === 'hello.pt')).toMatchObject({
      line: 3,
      source: '<p><?= 1 / 0 ?></p>',
    });
    expect(pt.error?.text).toContain('    <p><?= 1 / 0 ?></p>\n');
    expect(pt.error?.text).not.toContain('<title>');
    expect(pt.body).toContain('&#60;p&#62;&#60;?= 1 / 0 ?&#62;&#60;/p&#62;');
    expect(pt.body).not.toMatch(/&#60;title&#62;Hello/);
  });

  it('shows what a dry run would store, and stores nothing', async () => {
    const api = ctx.client();
    const res = await api.preview({
      path: 'session_example.py',
      overrides: {},
      method: 'GET',
      query: 'name=Nick',
      form: [],
      cookies: {},
      session: { kind: 'none' },
    });
    expect(res.body).toContain('Hello, Nick!');
    expect(res.pending).toEqual([
      expect.objectContaining({
        name: '',
        before: null,
        diff: { added: ['name'], removed: [], changed: [] },
      }),
    ]);
    expect(await api.listSessions()).toEqual([]);
  });

  it('delivers file change events to subscribers', async () => {
    const api = ctx.client();
    const seen: FileChange[] = [];
    const sub = api.onFileChange((c) => seen.push(c));
    // The watcher is subscribed asynchronously; write until it reports.
    await until(async () => {
      await api.writeFile('watched.txt', String(Date.now()));
      return seen.some((c) => c.path === 'watched.txt');
    }, 'a change event for watched.txt');
    sub.dispose();
  });

  it('rejects unknown methods and bad arguments with an error reply, and keeps serving', async () => {
    expect(
      await ctx.raw(JSON.stringify({ k: 'req', id: 9001, m: 'eval', a: ['1'] })),
    ).toMatchObject({
      k: 'err',
      id: 9001,
      e: { code: 'unknown-method' },
    });
    expect(
      await ctx.raw(JSON.stringify({ k: 'req', id: 9002, m: 'readFile', a: [42] })),
    ).toMatchObject({
      k: 'err',
      e: { code: 'bad-argument', message: expect.stringMatching(/argument 1: expected a string/) },
    });
    expect(
      await ctx.raw(JSON.stringify({ k: 'req', id: 9003, m: 'writeFile', a: ['a.txt'] })),
    ).toMatchObject({
      e: { code: 'bad-argument', message: expect.stringMatching(/expected 2 argument/) },
    });
    const badPreview = {
      k: 'req',
      id: 9004,
      m: 'preview',
      a: [{ path: 'hello.pt', method: 'DELETE' }],
    };
    expect(await ctx.raw(JSON.stringify(badPreview))).toMatchObject({
      e: { code: 'bad-argument' },
    });
    expect(await ctx.raw('{not json')).toMatchObject({
      k: 'err',
      id: -1,
      e: { code: 'bad-message' },
    });
    expect(await ctx.raw(JSON.stringify({ k: 'sub', id: 9005, e: 'onSecrets' }))).toMatchObject({
      e: { code: 'unknown-method' },
    });
    // Still serving after all that.
    expect((await ctx.client().getWorkspace()).root).toBe(ctx.appDir());
  });

  it('keeps location fields on errors that have them', async () => {
    const api = ctx.client();
    const err = await api.readFile('../x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect((err as RpcError).file).toBe('../x');
    expect((err as RpcError).code).toBe('failed');
  });
}
