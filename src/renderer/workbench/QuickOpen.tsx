/** Quick open (Ctrl/Cmd+P): type part of a path, Enter opens the first match. */
import { useMemo, useState } from 'react';

function score(path: string, query: string): number {
  if (!query) return 1;
  const p = path.toLowerCase();
  const q = query.toLowerCase();
  if (p.includes(q)) return 100 - p.indexOf(q);
  let at = 0;
  for (const ch of q) {
    at = p.indexOf(ch, at);
    if (at < 0) return 0;
    at++;
  }
  return 1;
}

export function QuickOpen({
  files,
  onPick,
  onClose,
}: {
  files: string[];
  onPick(path: string): void;
  onClose(): void;
}) {
  const [query, setQuery] = useState('');
  const [index, setIndex] = useState(0);
  const matches = useMemo(
    () =>
      files
        .map((f) => [f, score(f, query)] as const)
        .filter(([, s]) => s > 0)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 30)
        .map(([f]) => f),
    [files, query],
  );
  return (
    <div className="dialog-backdrop" onClick={onClose} role="presentation">
      <div
        className="quick-open"
        role="dialog"
        aria-label="Quick open"
        onClick={(e) => e.stopPropagation()}
      >
        <input
          autoFocus
          placeholder="Go to file…"
          aria-label="Go to file"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setIndex(0);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') onClose();
            else if (e.key === 'ArrowDown') setIndex((i) => Math.min(i + 1, matches.length - 1));
            else if (e.key === 'ArrowUp') setIndex((i) => Math.max(i - 1, 0));
            else if (e.key === 'Enter') {
              // or the key's text input would land in the editor the pick focuses
              e.preventDefault();
              if (matches[index]) onPick(matches[index]);
            }
          }}
        />
        <ul>
          {matches.map((f, i) => (
            <li key={f} className={i === index ? 'selected' : ''} onClick={() => onPick(f)}>
              {f}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}
