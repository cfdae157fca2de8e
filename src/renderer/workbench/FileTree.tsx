/**
 * The Explorer: the app's files as a tree, with create, rename and delete from its toolbar, a
 * context menu, and the keyboard (arrows move and fold, Enter opens; F2 and Delete are
 * workbench commands bound while the Explorer has focus).
 */
import { memo, useEffect, useRef, useState } from 'react';
import type { TreeEntry } from '../../common/api.js';
import { basename, dirname } from '../base/paths.js';
import { ContextMenu, type MenuItem } from './ContextMenu.js';

interface Props {
  entries: TreeEntry[];
  active: string | undefined;
  dirty: Set<string>;
  selected: string | undefined;
  onSelect(path: string): void;
  onOpen(path: string): void;
  onCreate(kind: 'file' | 'dir', inDir: string): void;
  onRename(path: string): void;
  onDelete(path: string): void;
}

export const FileTree = memo(function FileTree({
  entries,
  active,
  dirty,
  selected,
  onSelect,
  onOpen,
  onCreate,
  onRename,
  onDelete,
}: Props) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [menu, setMenu] = useState<{ x: number; y: number; path: string } | undefined>();
  const tree = useRef<HTMLUListElement>(null);
  const visible = entries.filter((e) => {
    for (let d = dirname(e.path); d; d = dirname(d)) if (collapsed.has(d)) return false;
    return true;
  });
  const sel = selected ?? active;
  const selEntry = entries.find((e) => e.path === sel);
  const dirOf = (e: TreeEntry | undefined): string =>
    e ? (e.kind === 'dir' ? e.path : dirname(e.path)) : '';
  const targetDir = dirOf(selEntry);

  useEffect(() => {
    if (!sel) return;
    tree.current
      ?.querySelector(`[data-path="${CSS.escape(sel)}"]`)
      ?.scrollIntoView({ block: 'nearest' });
  }, [sel]);

  const fold = (path: string, to: boolean): void => {
    const next = new Set(collapsed);
    if (to) next.add(path);
    else next.delete(path);
    setCollapsed(next);
  };
  const activate = (e: TreeEntry): void => {
    onSelect(e.path);
    if (e.kind === 'dir') fold(e.path, !collapsed.has(e.path));
    else onOpen(e.path);
  };
  const onKeyDown = (ev: React.KeyboardEvent): void => {
    const i = visible.findIndex((e) => e.path === sel);
    const cur = visible[i];
    const go = (e: TreeEntry | undefined): void => {
      if (e) onSelect(e.path);
    };
    if (ev.key === 'ArrowDown') go(visible[Math.min(i + 1, visible.length - 1)]);
    else if (ev.key === 'ArrowUp') go(visible[Math.max(i - 1, 0)]);
    else if (ev.key === 'Home') go(visible[0]);
    else if (ev.key === 'End') go(visible.at(-1));
    else if (ev.key === 'ArrowRight' && cur?.kind === 'dir') {
      if (collapsed.has(cur.path)) fold(cur.path, false);
      else go(visible[i + 1]);
    } else if (ev.key === 'ArrowLeft' && cur) {
      if (cur.kind === 'dir' && !collapsed.has(cur.path)) fold(cur.path, true);
      else go(entries.find((e) => e.path === dirname(cur.path)));
    } else if (ev.key === 'Enter' && cur) activate(cur);
    else return;
    ev.preventDefault();
  };

  const menuItems = (path: string): MenuItem[] => {
    const entry = entries.find((e) => e.path === path);
    const items: MenuItem[] = [];
    if (entry?.kind === 'file') items.push({ label: 'Open', run: () => onOpen(path) });
    items.push(
      { label: 'New File…', run: () => onCreate('file', dirOf(entry)) },
      { label: 'New Folder…', run: () => onCreate('dir', dirOf(entry)) },
      { label: 'Rename…', keys: 'F2', run: () => onRename(path) },
      { label: 'Delete…', keys: 'Delete', run: () => onDelete(path) },
    );
    return items;
  };

  return (
    <div className="explorer">
      <div className="pane-header">
        <span>Explorer</span>
        <span className="pane-actions">
          <button
            title="New file"
            aria-label="New file"
            onClick={() => onCreate('file', targetDir)}
          >
            +
          </button>
          <button
            title="New folder"
            aria-label="New folder"
            onClick={() => onCreate('dir', targetDir)}
          >
            ▣
          </button>
          <button
            title="Rename (F2)"
            aria-label="Rename"
            disabled={!sel}
            onClick={() => sel && onRename(sel)}
          >
            ✎
          </button>
          <button
            title="Delete (Delete)"
            aria-label="Delete"
            disabled={!sel}
            onClick={() => sel && onDelete(sel)}
          >
            ✕
          </button>
        </span>
      </div>
      <ul
        className="tree"
        role="tree"
        aria-label="Files"
        tabIndex={0}
        ref={tree}
        onKeyDown={onKeyDown}
      >
        {visible.map((e) => {
          const depth = e.path.split('/').length - 1;
          const isCollapsed = collapsed.has(e.path);
          return (
            <li
              key={e.path}
              role="treeitem"
              data-path={e.path}
              aria-selected={e.path === sel}
              aria-expanded={e.kind === 'dir' ? !isCollapsed : undefined}
              className={`tree-item ${e.kind} ${e.path === active ? 'active' : ''} ${e.path === sel ? 'selected' : ''}`}
              style={{ paddingLeft: 8 + depth * 12 }}
              onClick={() => activate(e)}
              onContextMenu={(ev) => {
                ev.preventDefault();
                onSelect(e.path);
                setMenu({ x: ev.clientX, y: ev.clientY, path: e.path });
              }}
            >
              <span className="tree-icon">
                {e.kind === 'dir' ? (isCollapsed ? '▸' : '▾') : ' '}
              </span>
              {basename(e.path)}
              {dirty.has(e.path) ? <span className="dirty-dot"> ●</span> : null}
            </li>
          );
        })}
      </ul>
      {menu ? (
        <ContextMenu
          x={menu.x}
          y={menu.y}
          items={menuItems(menu.path)}
          onClose={() => {
            setMenu(undefined);
            tree.current?.focus();
          }}
        />
      ) : null}
    </div>
  );
});
