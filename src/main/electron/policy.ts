/**
 * The desktop window's security decisions as plain functions (no Electron import), so they are
 * tested without a display: which URLs are the Studio renderer, which may go to the system
 * browser, which navigations stay, and which permission requests are granted.
 */

/** `url` is the Studio renderer (the file URL, with any query or fragment). */
export function isRendererUrl(rendererUrl: string, url: string): boolean {
  return (
    url === rendererUrl || url.startsWith(rendererUrl + '?') || url.startsWith(rendererUrl + '#')
  );
}

/**
 * The URL to hand to `shell.openExternal`, or undefined: only http: and https: URLs go out
 * (file:, javascript:, custom schemes and anything unparsable would let a page run or open
 * local programs). The URL is re-serialized, so what is opened is what was checked.
 */
export function externalUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username !== '' || parsed.password !== '') return undefined;
  return parsed.href;
}

export type NavigationDecision = { allow: true } | { allow: false; openExternal?: string };

/** `will-navigate` of the Studio window: the renderer may reload itself; anything else is
 * stopped, and an http(s) URL goes to the system browser instead. */
export function navigationDecision(rendererUrl: string, url: string): NavigationDecision {
  if (isRendererUrl(rendererUrl, url)) return { allow: true };
  const external = externalUrl(url);
  return external === undefined ? { allow: false } : { allow: false, openExternal: external };
}

/**
 * Permissions (camera, geolocation, notifications, clipboard reads, …) are denied by default.
 * The one grant: the Studio renderer may write plain text to the clipboard (Monaco's copy).
 * A previewed page (another origin, in a sandboxed frame) gets nothing.
 */
const RENDERER_PERMISSIONS = new Set(['clipboard-sanitized-write']);

export function permissionAllowed(
  rendererUrl: string,
  permission: string,
  requestingUrl: string | undefined,
): boolean {
  return (
    requestingUrl !== undefined &&
    isRendererUrl(rendererUrl, requestingUrl) &&
    RENDERER_PERMISSIONS.has(permission)
  );
}
