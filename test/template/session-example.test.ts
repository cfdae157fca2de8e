/** The session example of the PSE documentation (examples/session_example.pt), run for real. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../src/engine/template/index.js';
import { runTemplates } from './helpers/python.js';

const FILE = fileURLToPath(new URL('../../examples/session_example.pt', import.meta.url));

describe('examples/session_example.pt', () => {
  it('greets a known visitor and admits not knowing an unknown one', async () => {
    const r = compileTemplate(readFileSync(FILE, 'utf8'), { file: FILE });
    if (!r.ok) throw new Error(r.errors.map((e) => e.format()).join('\n'));
    const [nick, nobody] = await runTemplates([
      { name: 'nick', py: r.py, vars: { name: 'Nick' } },
      { name: 'nobody', py: r.py, vars: { name: null } },
    ]);
    expect(nick!.out).toContain('<p>Hello, Nick!</p>');
    expect(nick!.out).not.toContain("don't know");
    expect(nobody!.out).toContain("<p>I don't know who you are.</p>");
    expect(nobody!.out).not.toContain('Hello');
  });

  it('escapes the name (AutoEscape)', async () => {
    const r = compileTemplate(readFileSync(FILE, 'utf8'), { file: FILE });
    if (!r.ok) throw new Error('does not compile');
    const [out] = await runTemplates([{ name: 'x', py: r.py, vars: { name: '<script>' } }]);
    expect(out!.out).toContain('Hello, &lt;script&gt;!');
  });
});
