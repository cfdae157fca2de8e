/** App-relative '/'-separated path helpers (the renderer has no node:path). */
export function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function join(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

export function extname(p: string): string {
  const b = basename(p);
  const i = b.lastIndexOf('.');
  return i <= 0 ? '' : b.slice(i);
}

/** The servlet (.pt) a file belongs to: itself, or the template beside a code module. */
export function servletOf(p: string): string | null {
  if (p.endsWith('.pt')) return p;
  if (p.endsWith('.py')) return p.slice(0, -3) + '.pt';
  return null;
}

/** The code module (.py) beside a servlet. */
export function codeModuleOf(servlet: string): string {
  return servlet.slice(0, -3) + '.py';
}
