/** A context menu at the pointer: arrow keys and Enter, Escape or a click elsewhere closes it. */
import { useEffect, useRef } from 'react';
import { formatKey } from '../platform/keybindings.js';

export interface MenuItem {
  label: string;
  keys?: string;
  run(): void;
}

export function ContextMenu({
  x,
  y,
  items,
  onClose,
}: {
  x: number;
  y: number;
  items: MenuItem[];
  onClose(): void;
}) {
  const menu = useRef<HTMLUListElement>(null);
  useEffect(() => {
    menu.current?.querySelector<HTMLElement>('[role=menuitem]')?.focus();
    const away = (e: MouseEvent): void => {
      if (!menu.current?.contains(e.target as Node)) onClose();
    };
    window.addEventListener('mousedown', away);
    return () => window.removeEventListener('mousedown', away);
  }, [onClose]);
  const focusBy = (by: number): void => {
    const all = [...(menu.current?.querySelectorAll<HTMLElement>('[role=menuitem]') ?? [])];
    const i = all.indexOf(document.activeElement as HTMLElement);
    all[(i + by + all.length) % all.length]?.focus();
  };
  return (
    <ul
      ref={menu}
      className="context-menu"
      role="menu"
      style={{ left: x, top: y }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
        else if (e.key === 'ArrowDown') focusBy(1);
        else if (e.key === 'ArrowUp') focusBy(-1);
        else return;
        e.preventDefault();
        e.stopPropagation();
      }}
    >
      {items.map((item) => (
        <li
          key={item.label}
          role="menuitem"
          tabIndex={-1}
          onClick={() => {
            onClose();
            item.run();
          }}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            e.preventDefault();
            onClose();
            item.run();
          }}
        >
          <span>{item.label}</span>
          {item.keys ? <kbd>{formatKey(item.keys)}</kbd> : null}
        </li>
      ))}
    </ul>
  );
}
