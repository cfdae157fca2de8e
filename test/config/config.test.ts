import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  defaultConfig,
  loadConfig,
  parseConfig,
  toWorkerConfig,
} from '../../src/engine/config/index.js';

const ROOT = path.resolve('/tmp/pse-app');

function issuesOf(text: string): { line: number; col: number; message: string }[] {
  try {
    parseConfig(text, ROOT);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map(({ line, col, message }) => ({ line, col, message }));
  }
  throw new Error('expected a ConfigError');
}

describe('pse.conf', () => {
  it('fills defaults with absolute paths', () => {
    const c = defaultConfig('/tmp/pse-app');
    expect(c.main.includePath).toEqual([ROOT]);
    expect(c.main.pluginPath).toBe(path.join(ROOT, 'plugins'));
    expect(c.main.maxBody).toBe(10 * 1024 * 1024);
    expect(c.main.showTracebacks).toBe(true);
    expect(defaultConfig(ROOT, { production: true }).main.showTracebacks).toBe(false);
    expect(c.session.file).toBe(path.join(ROOT, '.pse', 'sessions.sqlite'));
    expect(c.session.cookieName).toBe('pse_session');
    expect(c.session.lockTimeout).toBe(30);
  });

  it('parses every section, comments, case-insensitive names and continuation lines', () => {
    const c = parseConfig(
      [
        '; a comment',
        '# another',
        '[Main]',
        'path = lib, vendor',
        'IncludePath = inc',
        '   shared',
        'TagModules = mytags',
        'AutoEscape = no',
        'MaxBody = 2M',
        'RequestTimeout = 2.5',
        'Workers: 3',
        'ShowTracebacks = off',
        'ExceptionHook = hooks.pretty',
        'OutputCacheDir = .pse/cache',
        '[plugins.session]',
        'CookieName = sid',
        'CookieSecure = yes',
        'Timeout = 10',
        'LockTimeout = 0.5',
        '[plugins.counter]',
        'Start = 5',
        '[Studio]',
        'JournalSize = 50',
      ].join('\n'),
      ROOT,
    );
    expect(c.main.path).toEqual([path.join(ROOT, 'lib'), path.join(ROOT, 'vendor')]);
    expect(c.main.includePath).toEqual([path.join(ROOT, 'inc'), path.join(ROOT, 'shared')]);
    expect(c.main.tagModules).toEqual(['mytags']);
    expect(c.main.autoEscape).toBe(false);
    expect(c.main.maxBody).toBe(2 * 1024 * 1024);
    expect(c.main.requestTimeout).toBe(2.5);
    expect(c.main.workers).toBe(3);
    expect(c.main.showTracebacks).toBe(false);
    expect(c.main.exceptionHook).toBe('hooks.pretty');
    expect(c.main.outputCacheDir).toBe(path.join(ROOT, '.pse', 'cache'));
    expect(c.session).toMatchObject({
      cookieName: 'sid',
      cookieSecure: true,
      timeout: 10,
      lockTimeout: 0.5,
    });
    expect(c.plugins).toEqual({ counter: { Start: { value: '5', line: 21 } } });
    expect(c.studio.journalSize).toBe(50);
    const w = toWorkerConfig(c, '9.9');
    expect(w.plugins).toEqual(c.plugins);
    expect(w.session).toEqual({ cookieName: 'sid', cookieSecure: true, cookieExpires: 0 });
    expect(w.confFile).toBe(path.join(ROOT, 'pse.conf'));
    expect(w.version).toBe('9.9');
  });

  it('locates an unknown option, a bad value and a bad section, all at once', () => {
    const issues = issuesOf(
      ['[Main]', 'Wrokers = 2', 'AutoEscape = maybe', '[Mian]', 'x = 1', '[plugins.bad-name]'].join(
        '\n',
      ),
    );
    expect(issues).toEqual([
      { line: 2, col: 1, message: expect.stringContaining("unknown option 'Wrokers' in [Main]") },
      { line: 3, col: 14, message: "AutoEscape: expected yes or no, found 'maybe'" },
      { line: 4, col: 1, message: expect.stringContaining('unknown section [Mian]') },
      { line: 6, col: 1, message: expect.stringContaining("'bad-name' is not a plugin name") },
    ]);
  });

  it('reads [Studio] Journal: next to the store by default, or a file; locates a bad value', () => {
    expect(defaultConfig(ROOT).studio.journal).toBe('store');
    expect(parseConfig('[Studio]\nJournal = File\n', ROOT).studio.journal).toBe('file');
    expect(parseConfig('[Studio]\nJournal = store\n', ROOT).studio.journal).toBe('store');
    expect(issuesOf('[Studio]\nJournal = postgres\n')).toEqual([
      { line: 2, col: 11, message: "Journal: expected store or file, found 'postgres'" },
    ]);
  });

  it('reads [Main] AllowedHosts and locates a bad entry', () => {
    expect(defaultConfig(ROOT).main.allowedHosts).toEqual([]);
    const c = parseConfig(
      '[Main]\nAllowedHosts = Example.com, .apps.example.org:8443, 10.0.0.5, [::1]:8080\n',
      ROOT,
    );
    expect(c.main.allowedHosts).toEqual([
      { host: 'example.com', subdomains: false },
      { host: 'apps.example.org', port: 8443, subdomains: true },
      { host: '10.0.0.5', subdomains: false },
      { host: '[::1]', port: 8080, subdomains: false },
    ]);
    const issues = issuesOf('[Main]\nAllowedHosts = example.com, http://x.org/\n');
    expect(issues).toEqual([
      {
        line: 2,
        col: 16,
        message: expect.stringContaining("AllowedHosts: 'http://x.org/' is not a host"),
      },
    ]);
  });

  it('rejects bad values of [plugins.session]', () => {
    const issues = issuesOf(
      [
        '[plugins.session]',
        'Type = redis',
        'CookieName = a b',
        'CollectionProbability = 2000',
        'LockTimeout = -1',
      ].join('\n'),
    );
    expect(issues.map((i) => [i.line, i.message.split(':')[0]])).toEqual([
      [2, 'Type'],
      [3, 'CookieName'],
      [4, 'CollectionProbability'],
      [5, 'LockTimeout'],
    ]);
  });

  it('rejects syntax errors: options outside sections, duplicates, garbage lines', () => {
    const issues = issuesOf(
      [
        'Workers = 1',
        '[Main]',
        'Workers = 1',
        'workers = 2',
        'just words',
        '[Main]',
        '[Studio',
      ].join('\n'),
    );
    expect(issues.map((i) => i.line)).toEqual([1, 4, 5, 6, 7]);
    expect(issues[0].message).toContain('outside any section');
    expect(issues[1].message).toContain('set twice');
    expect(issues[3].message).toContain('appears twice');
  });

  it('reads WorkerMemory as a size: 1G by default, 0 for none, at least 64M', () => {
    expect(defaultConfig(ROOT).main.workerMemory).toBe(1024 ** 3);
    expect(parseConfig('[Main]\nWorkerMemory = 512M\n', ROOT).main.workerMemory).toBe(
      512 * 1024 ** 2,
    );
    expect(parseConfig('[Main]\nWorkerMemory = 0\n', ROOT).main.workerMemory).toBe(0);
    expect(toWorkerConfig(parseConfig('[Main]\nWorkerMemory = 2G\n', ROOT)).workerMemory).toBe(
      2 * 1024 ** 3,
    );
    expect(issuesOf('[Main]\nWorkerMemory = 10M\n')).toEqual([
      {
        line: 2,
        col: 16,
        message: "WorkerMemory: expected 0 (no limit) or at least 64M, found '10M'",
      },
    ]);
    expect(issuesOf('[Main]\nWorkerMemory = lots\n')[0]).toMatchObject({ line: 2, col: 16 });
  });

  it('defaults to one instance and rejects a count below one, located', () => {
    expect(parseConfig('', ROOT).main.instances).toBe(1);
    expect(parseConfig('[Main]\nInstances = 4\n', ROOT).main.instances).toBe(4);
    const issues = issuesOf('[Main]\nInstances = 0\n');
    expect(issues.map((i) => [i.line, i.message.split(':')[0]])).toEqual([[2, 'Instances']]);
  });

  it('formats the error as file:line:col', () => {
    try {
      parseConfig('[Main]\nMaxBody = lots\n', ROOT);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe(
        `${path.join(ROOT, 'pse.conf')}:2:11: MaxBody: expected a size such as 1048576, 512K or 10M, found 'lots'`,
      );
    }
  });

  describe('loadConfig', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'pse-conf-'));
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    it('uses defaults without a pse.conf and reads one when present', async () => {
      expect((await loadConfig(dir)).fromFile).toBe(false);
      await writeFile(path.join(dir, 'pse.conf'), '[Main]\nWorkers = 1\n');
      const c = await loadConfig(dir, { production: true });
      expect(c.fromFile).toBe(true);
      expect(c.main.workers).toBe(1);
      expect(c.main.showTracebacks).toBe(false);
    });
  });
});
