import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/engine/http/http-error.js';
import { parseUrl } from '../../src/engine/http/url.js';

const statusOf = (url: string): number | 'ok' => {
  try {
    parseUrl(url);
    return 'ok';
  } catch (err) {
    return (err as HttpError).status;
  }
};

describe('parseUrl', () => {
  it('splits path and query and decodes segments', () => {
    expect(parseUrl('/a%20b/c.pt?x=1&y=%20')).toEqual({
      segments: ['a b', 'c.pt'],
      trailingSlash: false,
      path: '/a b/c.pt',
      query: 'x=1&y=%20',
    });
    expect(parseUrl('//sub//')).toMatchObject({
      segments: ['sub'],
      trailingSlash: true,
      path: '/sub/',
    });
    expect(parseUrl('/')).toMatchObject({ segments: [], path: '/' });
  });

  it('refuses traversal, NUL, backslashes and dot-segments', () => {
    for (const u of [
      '/..',
      '/a/../b',
      '/%2e%2e/x',
      '/%2E./x',
      '/a%2f..%2fb',
      '/a%00',
      '/a\\b',
      '/a%5cb',
      '/.hidden',
      '/x/.git/config',
      '/.',
    ]) {
      expect(statusOf(u), u).toBe(404);
    }
    expect(statusOf('/%E0%A4%A')).toBe(400);
    expect(statusOf('http://evil/')).toBe(400);
  });

  it('never yields a segment that could leave the folder it names', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            'a',
            '.',
            '..',
            '%2e',
            '%2E',
            '%2f',
            '%5c',
            '\\',
            '/',
            '%00',
            'b.pt',
            '%',
          ),
          { maxLength: 12 },
        ),
        (parts) => {
          const url = '/' + parts.join('');
          let segs: string[];
          try {
            segs = parseUrl(url).segments;
          } catch (err) {
            expect([400, 404]).toContain((err as HttpError).status);
            return;
          }
          for (const s of segs) {
            expect(s.startsWith('.')).toBe(false);
            expect(s).not.toMatch(/[/\\\0]/);
            expect(s).not.toBe('');
          }
        },
      ),
    );
  });
});
