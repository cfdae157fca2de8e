/**
 * Keybindings written as 'Mod+Shift+P', 'F2', 'Alt+Mod+W': Mod is Cmd on macOS and Ctrl
 * elsewhere. One parser for matching a key event and for showing the binding in menus.
 */
const MAC = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform);

interface Chord {
  mod: boolean;
  shift: boolean;
  alt: boolean;
  key: string;
}

function parse(binding: string): Chord {
  const parts = binding.split('+');
  const key = parts.pop()!.toLowerCase();
  return {
    mod: parts.includes('Mod'),
    shift: parts.includes('Shift'),
    alt: parts.includes('Alt'),
    key,
  };
}

export function matchesKey(e: KeyboardEvent, binding: string): boolean {
  const c = parse(binding);
  const mod = MAC ? e.metaKey : e.ctrlKey;
  return (
    mod === c.mod &&
    e.shiftKey === c.shift &&
    e.altKey === c.alt &&
    (e.key.toLowerCase() === c.key || e.code.toLowerCase() === `key${c.key}`)
  );
}

export function formatKey(binding: string): string {
  return binding
    .split('+')
    .map((p) => (p === 'Mod' ? (MAC ? '⌘' : 'Ctrl') : p === 'Alt' && MAC ? '⌥' : p))
    .join('+');
}
