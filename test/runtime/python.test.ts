import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PythonError, resolvePython } from '../../src/engine/runtime/python.js';

const tmpDirs: string[] = [];
function made(dir: string): string {
  tmpDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** an executable that answers the probe as some other program would */
function fakeInterpreter(script: string): string {
  const dir = made(mkdtempSync(path.join(tmpdir(), 'pse-py-')));
  const file = path.join(dir, 'python');
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe('resolvePython', () => {
  it('resolves python3 to the real interpreter (sys.executable) and its version', async () => {
    const info = await resolvePython('python3');
    expect(path.isAbsolute(info.executable)).toBe(true);
    expect(info.executable).not.toMatch(/shims/);
    expect(info.major).toBe(3);
    expect(info.minor).toBeGreaterThanOrEqual(9);
    expect(info.version).toMatch(/^3\.\d+\.\d+$/);
    // resolving the resolved path gives itself: no shim in between
    expect((await resolvePython(info.executable)).executable).toBe(info.executable);
  });

  it('caches per executable string', async () => {
    const a = resolvePython('python3');
    expect(resolvePython('python3')).toBe(a);
    await a;
  });

  it('says which PythonExecutable is missing, and where it was configured', async () => {
    const err = await resolvePython('python-does-not-exist-9', {
      file: '/app/pse.conf',
      line: 7,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PythonError);
    expect((err as PythonError).message).toBe(
      "PythonExecutable 'python-does-not-exist-9' not found (/app/pse.conf line 7)",
    );
    expect((err as PythonError).line).toBe(7);
  });

  it('refuses a Python older than 3.9, naming the version found', async () => {
    const old = fakeInterpreter('echo /opt/python3.8/bin/python3.8; echo 3.8.18');
    await expect(resolvePython(old, { file: 'pse.conf', line: 3 })).rejects.toThrow(
      `PythonExecutable '${old}' is Python 3.8.18 (/opt/python3.8/bin/python3.8); PSE needs Python 3.9 or newer (pse.conf line 3)`,
    );
  });

  it('refuses a program that does not answer like Python, and one that fails', async () => {
    await expect(resolvePython('/bin/echo')).rejects.toThrow(
      /PythonExecutable '\/bin\/echo' does not answer like a Python interpreter/,
    );
    const broken = fakeInterpreter(
      'echo "error while loading shared libraries: libpython3.11.so" >&2; exit 127',
    );
    await expect(resolvePython(broken)).rejects.toThrow(
      /failed to run: error while loading shared libraries: libpython3.11.so/,
    );
  });

  it('does not cache a failure: a fixed interpreter is found on the next try', async () => {
    const dir = made(mkdtempSync(path.join(tmpdir(), 'pse-py-')));
    const file = path.join(dir, 'python');
    await expect(resolvePython(file)).rejects.toThrow(/not found/);
    writeFileSync(file, '#!/bin/sh\necho /usr/local/bin/python3.12; echo 3.12.1\n');
    chmodSync(file, 0o755);
    await expect(resolvePython(file)).resolves.toMatchObject({
      executable: '/usr/local/bin/python3.12',
      minor: 12,
    });
  });

  it('reports a file that is not executable', async () => {
    const dir = made(mkdtempSync(path.join(tmpdir(), 'pse-py-')));
    const file = path.join(dir, 'python');
    writeFileSync(file, 'not a program');
    await expect(resolvePython(file)).rejects.toThrow(
      `PythonExecutable '${file}' is not executable`,
    );
  });
});
