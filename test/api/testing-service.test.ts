/**
 * Studio's recorded-visit tests on a live engine: a selection of the request log exported as
 * tests/NAME.psetest (never over an existing file), listed, and run on a temporary store while
 * the app's own sessions stay as they are; bad names, paths and selections are refused.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CART_APP } from './cart-app.js';
import { TESTING_ARGS } from '../../src/common/api-testing.js';
import { check } from '../../src/common/schema.js';
import { Engine } from '../../src/engine/engine.js';
import { TestingService } from '../../src/main/service/testing-service.js';

describe('TestingService', () => {
  let dir: string;
  let engine: Engine;
  let svc: TestingService;
  let cookie = '';
  const serials: number[] = [];

  async function visit(url: string, body?: string): Promise<void> {
    const res = await engine.handle({
      method: body === undefined ? 'GET' : 'POST',
      url,
      headers: {
        ...(cookie ? { cookie } : {}),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(body !== undefined ? { body } : {}),
    });
    const set = res.headers.find(([k]) => k.toLowerCase() === 'set-cookie');
    if (set) cookie = set[1].split(';')[0]!;
    serials.push((await engine.sessionService!.journal.list({ limit: 1 }))[0]!.serial);
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pse-testing-svc-'));
    for (const [f, text] of Object.entries(CART_APP)) await writeFile(path.join(dir, f), text);
    engine = await Engine.open(dir, { workers: 1, watch: false, logFiles: false });
    svc = new TestingService(engine);
    await visit('/cart.pt');
    await visit('/cart.pt', 'item=apple');
    await visit('/cart.pt?item=pear');
  });
  afterAll(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('exports the selected requests as tests/NAME.psetest, never over an existing file', async () => {
    expect(await svc.listTests()).toEqual([]);
    const out = await svc.exportTest('shop/cart', [serials[2]!, serials[0]!, serials[1]!]);
    expect(out).toEqual({ file: 'tests/shop/cart.psetest', steps: 3 });
    const text = await readFile(path.join(dir, out.file), 'utf8');
    expect(text).toMatch(/^# shop\/cart: 3 request\(s\) recorded by PSE Studio/);
    expect(text).toContain(
      [
        'request POST /cart.pt',
        "  form 'item' = 'apple'",
        '  status 200',
        '  outcome committed',
        "  key '' 'n' = 2",
        "  key '' 'items' = ['apple']",
      ].join('\n'),
    );
    expect(text).toContain(
      "request GET /cart.pt?item=pear\n  status 200\n  outcome committed\n  key '' 'n' = 3\n  key '' 'items' = ['apple', 'pear']",
    );
    expect(await svc.listTests()).toEqual(['tests/shop/cart.psetest']);

    await expect(svc.exportTest('shop/cart', [serials[0]!])).rejects.toThrow(
      'tests/shop/cart.psetest exists already: choose another name',
    );
    expect(await readFile(path.join(dir, out.file), 'utf8')).toBe(text);
    await expect(svc.exportTest('../evil', [serials[0]!])).rejects.toThrow("test name '../evil'");
    await expect(svc.exportTest('x', [])).rejects.toThrow('select the requests');
    await expect(svc.exportTest('x', [999_999])).rejects.toThrow(
      'request #999999 is no longer in the journal',
    );
    expect(existsSync(path.join(dir, 'tests', 'x.psetest'))).toBe(false);
  });

  it("runs the tests on a temporary store and leaves the app's sessions alone", async () => {
    const id = decodeURIComponent(cookie.split('=')[1]!);
    const before = await engine.sessionService!.admin.getSession(id);
    const run = await svc.runTests([]);
    expect(run.ok).toBe(true);
    expect(run.files.map((f) => [f.file, f.steps.map((s) => s.ok)])).toEqual([
      ['tests/shop/cart.psetest', [true, true, true]],
    ]);
    const after = await engine.sessionService!.admin.getSession(id);
    expect(after.version).toBe(before.version);
    expect((await engine.sessionService!.admin.listSessions({})).total).toBe(1);

    await writeFile(path.join(dir, 'cart.py'), CART_APP['cart.py']!.replace('+ 1', '+ 10'));
    const failed = await svc.runTests(['tests/shop/cart.psetest']);
    await writeFile(path.join(dir, 'cart.py'), CART_APP['cart.py']!);
    expect(failed.ok).toBe(false);
    expect(failed.files[0]!.steps[0]!.session).toEqual([
      { namespace: '', key: 'n', expected: '1', actual: '10' },
    ]);
  });

  it('refuses files outside tests/ and arguments the schema does not allow', async () => {
    await expect(svc.runTests(['cart.py'])).rejects.toThrow(
      'a test is a .psetest file under tests/',
    );
    await expect(svc.runTests(['tests/../../x.psetest'])).rejects.toThrow('under tests/');
    expect(check(TESTING_ARGS.exportTest[1]!, [0], 'serials')).toBeTruthy();
    expect(check(TESTING_ARGS.exportTest[0]!, '', 'name')).toBeTruthy();
    expect(check(TESTING_ARGS.runTests[0]!, ['tests/a.psetest'], 'files')).toBeNull();
  });
});
