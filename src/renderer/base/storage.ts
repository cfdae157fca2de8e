/**
 * The renderer's own memory between starts (layout, open tabs): JSON in localStorage, read with
 * a check, so that a value from an older build or a hand edit is ignored rather than trusted.
 */
export function loadJson<T>(key: string, valid: (v: unknown) => v is T): T | undefined {
  try {
    const raw = localStorage.getItem(key);
    if (raw === null) return undefined;
    const value: unknown = JSON.parse(raw);
    return valid(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function saveJson(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: the layout is then simply not remembered
  }
}
