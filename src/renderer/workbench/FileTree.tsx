/** The Explorer: the app's files as a tree, with create, rename and delete. */
import { memo, useState } from 'react';
import type { TreeEntry } from '../../common/api.js';
import { basename, dirname } from '../base/paths.js';

interface Props {
  entries: TreeEntry[];
  active: string | undefined;
  dirty: Set<string>;
  onOpen(path: string): void;
  onCreate(kind: 'file' | 'dir', inDir: string): void;
  onRename(path: string): void;
  onDelete(path: string): void;
}

export const FileTree = memo(function FileTree({
  entries,
  active,
  dirty,
  onOpen,
  onCreate,
  onRename,
  onDelete,
}: Props) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | undefined>();
  const visible = entries.filter((e) => {
    for (let d = dirname(e.path); d; d = dirname(d)) if (collapsed.has(d)) return false;
    return true;
  });
  const sel = selected ?? active;
  const selEntry = entries.find((e) => e.path === sel);
  const targetDir = selEntry
    ? selEntry.kind === 'dir'
      ? selEntry.path
      : dirname(selEntry.path)
    : '';
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
            title="Rename"
            aria-label="Rename"
            disabled={!sel}
            onClick={() => sel && onRename(sel)}
          >
            ✎
          </button>
          <button
            title="Delete"
            aria-label="Delete"
            disabled={!sel}
            onClick={() => sel && onDelete(sel)}
          >
            ✕
          </button>
        </span>
      </div>
      <ul className="tree" role="tree">
        {visible.map((e) => {
          const depth = e.path.split('/').length - 1;
          const isCollapsed = collapsed.has(e.path);
          return (
            <li
              key={e.path}
              role="treeitem"
              data-path={e.path}
              aria-selected={e.path === sel}
              className={`tree-item ${e.kind} ${e.path === active ? 'active' : ''} ${e.path === sel ? 'selected' : ''}`}
              style={{ paddingLeft: 8 + depth * 12 }}
              onClick={() => {
                setSelected(e.path);
                if (e.kind === 'dir') {
                  const next = new Set(collapsed);
                  if (isCollapsed) next.delete(e.path);
                  else next.add(e.path);
                  setCollapsed(next);
                } else onOpen(e.path);
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
    </div>
  );
});
