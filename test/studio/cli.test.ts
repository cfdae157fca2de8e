/** `pse studio --web` as a user runs it: a process that prints the URL and serves until Ctrl+C. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { builtPse } from '../helpers/built-pse.js';
import { copyExamples, REPO, until } from './helpers.js';

describe('pse studio --web (the command)', () => {
  let app: Awaited<ReturnType<typeof copyExamples>>;
  let child: ChildProcess;
  let out = '';
  let err = '';

  beforeAll(async () => {
    app = await copyExamples();
    // the built command: its bundle must find the renderer as tsx's sources do
    child = spawn(process.execPath, [builtPse(), 'studio', app.dir, '--web', '--port', '0'], {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  });

  afterAll(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    await app?.remove();
  });

  it('prints the URL with its token, serves the Studio, refuses a tokenless socket and stops on SIGINT', async () => {
    const url = await until(
      () => /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out)?.[0],
      `the URL on stdout (stderr: ${err})`,
      30_000,
    );
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^<!doctype html>/i);
    const { port } = new URL(url);
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api`);
      ws.once('unexpected-response', (_q, r) => resolve(r.statusCode ?? 0));
      ws.once('open', () => resolve(101));
    });
    expect(refused).toBe(401);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('says what is wrong with a bad port', async () => {
    const bad = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(REPO, 'src/cli/main.ts'),
        'studio',
        app.dir,
        '--web',
        '--port',
        'x',
      ],
      {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    bad.stderr!.on('data', (d: Buffer) => (text += d.toString()));
    const code = await new Promise<number | null>((r) => bad.once('exit', (c) => r(c)));
    expect(code).not.toBe(0);
    expect(text).toMatch(/expected a port number 0–65535, got 'x'/);
  });
});
