/**
 * A strip of tabs: the editor's open files, the panel's views (Problems, Console and the
 * inspector's Requests, Sessions, Timeline). Arrow keys move between tabs, as in a tablist.
 */
import { memo, type ReactNode } from 'react';

export interface TabItem {
  id: string;
  label: ReactNode;
  title?: string;
  className?: string;
  /** shown: the tab has a close button with this accessible name */
  closeLabel?: string;
}

interface Props {
  items: TabItem[];
  active: string | undefined;
  onSelect(id: string): void;
  onClose?(id: string): void;
  label: string;
  className?: string;
  /** beside the tabs, at the end (panel actions) */
  actions?: ReactNode;
}

export const Tabs = memo(function Tabs({
  items,
  active,
  onSelect,
  onClose,
  label,
  className,
  actions,
}: Props) {
  const move = (from: string, by: number): void => {
    const i = items.findIndex((t) => t.id === from);
    const next = items[(i + by + items.length) % items.length];
    if (next) onSelect(next.id);
  };
  return (
    <div className={`tabs ${className ?? ''}`} role="tablist" aria-label={label}>
      {items.map((t) => (
        <div
          key={t.id}
          role="tab"
          tabIndex={t.id === active ? 0 : -1}
          data-path={t.id}
          aria-selected={t.id === active}
          className={`tab ${t.id === active ? 'active' : ''} ${t.className ?? ''}`}
          title={t.title}
          onClick={() => onSelect(t.id)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowRight') move(t.id, 1);
            else if (e.key === 'ArrowLeft') move(t.id, -1);
          }}
        >
          {t.label}
          {t.closeLabel && onClose ? (
            <button
              className="tab-close"
              aria-label={t.closeLabel}
              onClick={(e) => {
                e.stopPropagation();
                onClose(t.id);
              }}
            >
              ×
            </button>
          ) : null}
        </div>
      ))}
      {actions ? <span className="tab-actions">{actions}</span> : null}
    </div>
  );
});
