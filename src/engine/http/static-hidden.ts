/**
 * Which names of the app folder are never served (a URL segment or a symlink's target part):
 * code and configuration (`.py`, `.pty`, `.pyc`, `pse.conf`, `__pycache__`), dot-files, editor
 * and backup copies (`name~`, `#name#`, `.bak`, `.orig`, `.old`, `.save`, `.swp`, `.swo`, `.tmp`,
 * Studio's `name.pse-save-PID-TS`), and any name that wraps a hidden one (`hello.py.txt`,
 * `pse.conf.dist`): a copy of a code module is as secret as the module.
 */
const HIDDEN_EXT = new Set(['py', 'pty', 'pyc']);
const BACKUP_EXT = new Set(['bak', 'orig', 'old', 'save', 'swp', 'swo', 'tmp']);
const STUDIO_TEMP = /\.pse-save-\d+-\d+$/;

export function isHiddenName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.startsWith('.') || lower === '__pycache__') return true;
  // editor copies: `name~` (Emacs, Vim, gedit) and `#name#` (Emacs auto-save)
  if (lower.endsWith('~') || (lower.length > 1 && lower.startsWith('#') && lower.endsWith('#')))
    return true;
  if (STUDIO_TEMP.test(lower)) return true;
  const parts = lower.split('.');
  const last = parts.length > 1 ? parts[parts.length - 1] : '';
  if (HIDDEN_EXT.has(last) || BACKUP_EXT.has(last)) return true;
  // a name that wraps a hidden name: a prefix `stem.py` or `pse.conf` followed by more
  for (let k = 1; k < parts.length - 1; k++) {
    if (HIDDEN_EXT.has(parts[k])) return true;
    if (parts[k] === 'conf' && parts.slice(0, k).join('.') === 'pse') return true;
  }
  return lower === 'pse.conf';
}
