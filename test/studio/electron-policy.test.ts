/** The desktop window's security decisions: navigation, external links and permissions. */
import { describe, expect, it } from 'vitest';
import {
  externalUrl,
  isRendererUrl,
  navigationDecision,
  permissionAllowed,
} from '../../src/main/electron/policy.js';

const RENDERER = 'file:///opt/pse/out/renderer/index.html';

describe('external URLs', () => {
  it.each([
    ['https://example.com/docs?q=1#x', 'https://example.com/docs?q=1#x'],
    ['http://127.0.0.1:8080/', 'http://127.0.0.1:8080/'],
    ['HTTPS://Example.com', 'https://example.com/'],
  ])('hands %s to the system browser', (url, opened) => expect(externalUrl(url)).toBe(opened));

  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'smb://attacker/share/x.exe',
    'ms-msdt:/id PCWDiagnostic',
    'vscode://extension/x',
    'data:text/html,<script>1</script>',
    'http://user:pw@example.com/',
    'not a url',
    '',
  ])('never opens %j', (url) => expect(externalUrl(url)).toBeUndefined());
});

describe('navigation of the Studio window', () => {
  it('lets the renderer reload itself', () => {
    for (const url of [RENDERER, `${RENDERER}?x=1`, `${RENDERER}#/a`])
      expect(navigationDecision(RENDERER, url)).toEqual({ allow: true });
    expect(isRendererUrl(RENDERER, `${RENDERER}.evil.html`)).toBe(false);
  });
  it('sends http(s) elsewhere to the system browser and drops every other scheme', () => {
    expect(navigationDecision(RENDERER, 'https://example.com/')).toEqual({
      allow: false,
      openExternal: 'https://example.com/',
    });
    for (const url of ['file:///tmp/x.html', 'javascript:void 0', 'ftp://x/', `${RENDERER}x`])
      expect(navigationDecision(RENDERER, url)).toEqual({ allow: false });
  });
});

describe('permissions', () => {
  it('denies everything by default', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal'])
      expect(permissionAllowed(RENDERER, p, RENDERER)).toBe(false);
  });
  it('lets only the renderer write to the clipboard; a preview gets nothing', () => {
    expect(permissionAllowed(RENDERER, 'clipboard-sanitized-write', RENDERER)).toBe(true);
    expect(
      permissionAllowed(RENDERER, 'clipboard-sanitized-write', 'http://127.0.0.1:4100/a.pt'),
    ).toBe(false);
    expect(permissionAllowed(RENDERER, 'clipboard-sanitized-write', undefined)).toBe(false);
  });
});
