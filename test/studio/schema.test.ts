/** The argument checks the RPC server applies to every call (the WebSocket is untrusted). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { API_ARGS, COMMAND_NAMES } from '../../src/common/api-schema.js';
import { check, type Schema } from '../../src/common/schema.js';

const preview = API_ARGS.preview[0]!;
const good = {
  path: 'a.pt',
  overrides: { 'a.pt': 'x' },
  method: 'GET',
  query: 'a=1',
  form: [['a', '1']],
  cookies: { c: 'v' },
  session: { kind: 'existing', id: 'abc' },
};

describe('argument schemas', () => {
  it('accepts a well-formed preview request', () => {
    expect(check(preview, good, 'preview')).toBeNull();
  });

  it('names the place of the first problem', () => {
    expect(check(preview, { ...good, method: 'PUT' }, 'preview')).toMatch(
      /^preview\.method: expected one of GET, POST/,
    );
    expect(check(preview, { ...good, form: [['a']] }, 'preview')).toMatch(
      /^preview\.form\[0\]: expected 2 items/,
    );
    expect(check(preview, { ...good, session: { kind: 'existing' } }, 'preview')).toMatch(
      /^preview\.session\.id: expected a string/,
    );
    expect(check(preview, { ...good, session: { kind: 'stolen' } }, 'preview')).toMatch(
      /^preview\.session\.kind/,
    );
    expect(check(preview, { ...good, extra: 1 }, 'preview')).toMatch(/unknown field 'extra'/);
    expect(check(preview, { ...good, overrides: { a: 1 } }, 'preview')).toMatch(
      /overrides\["a"\]: expected a string/,
    );
    expect(check(API_ARGS.readFile[0]!, '', 'readFile')).toMatch(/must not be empty/);
    expect(check(API_ARGS.startServer[0]!, 70000, 'port')).toMatch(/outside 0\.\.65535/);
    expect(check(API_ARGS.startServer[0]!, 1.5, 'port')).toMatch(/expected an integer/);
  });

  it('never throws, whatever arrives', () => {
    const schemas: Schema[] = COMMAND_NAMES.flatMap((name) => [...API_ARGS[name]]);
    fc.assert(
      fc.property(fc.constantFrom(...schemas), fc.jsonValue(), (schema, value) => {
        const result = check(schema, value, 'x');
        expect(result === null || typeof result === 'string').toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
