/**
 * The contract between the template compiler's generated code and the worker's runtime helpers
 * (`__pse_out__`, `__pse_str__`, `__pse_attr__`, `__pse_battr__`, `__pse_tag_open__/close__`):
 * real templates, compiled by src/engine/template, run by a real CPython worker through the pool.
 */
import { defaultConfig, toWorkerConfig } from '../../src/engine/config/index.js';
import { runInput as req } from '../runtime/inputs.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool } from '../../src/engine/runtime/pool.js';
import type { WorkerConfig } from '../../src/engine/runtime/protocol.js';
import { resolvePython } from '../../src/engine/runtime/python.js';
import { TemplateSources } from '../../src/engine/runtime/sources.js';

const TAGS = [
  'from pse.tags import CustomTag',
  '',
  'class Box(CustomTag):',
  '    def __str__(self):',
  "        return '<div title=\"%s\">%s</div>' % (self.attrs.get('title', ''), CustomTag.__str__(self))",
  '',
  'class Items(CustomTag):',
  '    def addString(self, text):',
  '        pass',
  '',
  '    def __str__(self):',
  "        return '<ul>' + ''.join('<li>%s</li>' % c for c in self.content) + '</ul>'",
  '',
  'class Item(CustomTag):',
  '    pass',
  '',
].join('\n');

const APP: Record<string, string> = {
  'mytags.py': TAGS,
  'constructs.py':
    "items = ['<a>', 'b']\nsafe = pse.Markup('<em>ok</em>')\nurl = 'x?a=1&b=\"2\"'\n",
  'constructs.pt': [
    '<ul><? for it in items: ?><li><?= it ?></li><? :for ?></ul>',
    '<?= safe ?><a href="=url" data-x="??lit">x</a><input checked="?len(items) > 1"><input disabled="?0">',
    '<? if items: ?>yes<? :else: ?>no<? :if ?> <? print("printed", end="") ?>',
    '',
  ].join('\n'),
  'tags.py': "from mytags import Box\n\npreset = Box(title='P')\n",
  'tags.pt': [
    '<Box title="=1 + 1"><Items><Item>a</Item> <Item>b</Item></Items> tail</Box>',
    '<Box id="preset">inner</Box><Box title="e"/>',
    '',
  ].join('\n'),
  'misnested.pt': '<Box>\n  <? x = 1 ?><Item>\n  </Box>\n',
  'raises.py': 'values = {}\n',
  'raises.pt': [
    '<p>',
    '<? for k in ["a"]: ?>',
    '  <b><?= values[k] ?></b>',
    '<? :for ?>',
    '</p>',
    '',
  ].join('\n'),
  'incl.py': "x = 'X'\n",
  'incl.pt':
    "A<? pse.include('nested/part.pt', x='I') ?>|<?= x ?>|<?= pse.call('part', x='<C>') ?>\n",
  'inc/part.pt': '[part <?= x ?>]',
};

function config(root: string, autoEscape: boolean): WorkerConfig {
  const c = toWorkerConfig(defaultConfig(root));
  return { ...c, includePath: [path.join(root, 'inc')], tagModules: ['mytags.py'], autoEscape };
}

async function startPool(root: string, autoEscape: boolean): Promise<WorkerPool> {
  const { executable } = await resolvePython('python3');
  const sources = new TemplateSources();
  const pool = new WorkerPool({
    python: executable,
    workers: 1,
    appRoot: root,
    config: config(root, autoEscape),
    requestTimeoutMs: 10_000,
    sources: sources.provide,
  });
  pool.on('tags', (t) => sources.setTags(t));
  await pool.start();
  return pool;
}

describe('generated code × worker runtime', () => {
  let root = '';
  let pool: WorkerPool;
  let raw: WorkerPool;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'pse-contract-'));
    for (const [name, text] of Object.entries(APP)) {
      const file = path.join(root, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    [pool, raw] = await Promise.all([startPool(root, true), startPool(root, false)]);
  });
  afterAll(async () => {
    await Promise.all([pool?.stop(), raw?.stop()]);
    rmSync(root, { recursive: true, force: true });
  });

  const page = async (p: WorkerPool, name: string): Promise<string> => {
    const r = await p.run(req(root, name));
    expect(r.error?.text).toBeUndefined();
    return r.body.toString();
  };

  it('writes text, escaped values, attributes and blocks', async () => {
    expect(await page(pool, 'constructs.pt')).toBe(
      [
        '<ul><li>&lt;a&gt;</li><li>b</li></ul>',
        '<em>ok</em><a href="x?a=1&amp;b=&quot;2&quot;" data-x="?lit">x</a><input checked><input>',
        'yes printed',
        '',
      ].join('\n'),
    );
  });

  it('AutoEscape = no writes <?= ?> and ="expr" attribute values raw', async () => {
    const body = await page(raw, 'constructs.pt');
    expect(body).toContain('<li><a></li>');
    expect(body).toContain('href="x?a=1&b="2""');
  });

  it('custom tags: nesting, id, empty tags', async () => {
    expect(await page(pool, 'tags.pt')).toBe(
      '<div title="2"><ul><li>a</li><li>b</li></ul> tail</div>\n<div title="P">inner</div><div title="e"></div>\n',
    );
  });

  it('a runtime error names the template line and column, inside a block', async () => {
    const r = await pool.run(req(root, 'raises.pt'));
    expect(r.status).toBe(500);
    expect(r.error?.type).toBe('KeyError');
    const last = r.error!.frames.at(-1)!;
    expect(last).toMatchObject({ file: path.join(root, 'raises.pt'), line: 3, kind: 'template' });
    expect(last.col).toBeGreaterThanOrEqual(6);
    expect(last.col).toBeLessThanOrEqual(10);
    expect(last.source).toBe('<b><?= values[k] ?></b>');
    expect(r.error!.text).toContain(`File "${path.join(root, 'raises.pt')}", line 3`);
  });

  it('include writes in place in the namespace, call returns Markup from a copy', async () => {
    expect(await page(pool, 'incl.pt')).toBe('A[part I]|I|[part &lt;C&gt;]\n');
  });

  it('mis-nested custom tags are refused with the template position', async () => {
    const r = await pool.run(req(root, 'misnested.pt'));
    expect(r.status).toBe(500);
    // either the compiler refuses it, or the runtime does; both must name misnested.pt
    const where = r.error!.frames.at(-1)!;
    expect(where.file).toBe(path.join(root, 'misnested.pt'));
    expect(where.line).toBeGreaterThanOrEqual(2);
  });
});
