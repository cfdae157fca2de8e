import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../src/engine/http/http-error.js';
import { UrlCache, parseUrl } from '../../src/engine/http/url.js';

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

describe('UrlCache', () => {
  it('answers as parseUrl does, the same object for a target seen before', () => {
    const cache = new UrlCache();
    const first = cache.parse('/a%20b/c.pt?x=1');
    expect(first).toEqual(parseUrl('/a%20b/c.pt?x=1'));
    expect(cache.parse('/a%20b/c.pt?x=1')).toBe(first);
    expect(cache.parse('/a%20b/c.pt?x=2')).not.toBe(first);
  });

  it('refuses a bad target every time (refusals are not kept)', () => {
    const cache = new UrlCache();
    for (let i = 0; i < 3; i++) expect(() => cache.parse('/a/%2e%2e/b')).toThrow(HttpError);
  });

  it('parses long targets each time and stays bounded', () => {
    const cache = new UrlCache();
    const long = '/p?' + 'q'.repeat(300);
    expect(cache.parse(long)).toEqual(parseUrl(long));
    expect(cache.parse(long)).not.toBe(cache.parse(long));
    const kept = cache.parse('/kept');
    for (let i = 0; i < 1000; i++) cache.parse(`/other?${i}`);
    // the set was dropped when full: the first target is parsed again
    expect(cache.parse('/kept')).not.toBe(kept);
    expect(cache.parse('/kept')).toEqual(kept);
  });
});
