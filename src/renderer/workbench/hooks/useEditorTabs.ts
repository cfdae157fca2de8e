/**
 * The open files: tabs, the active one, and the file operations that touch them (open, save,
 * close, create, rename, delete). Saving over a change made on disk asks first; the open tabs
 * are remembered per app folder and reopened on the next start.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient } from '../../../common/rpc.js';
import { basename, join } from '../../base/paths.js';
import { loadJson, saveJson } from '../../base/storage.js';
import type { Documents } from '../documents.js';
import type { Dialogs } from './useDialogs.js';

interface SavedTabs {
  tabs: string[];
  active?: string;
}

function isSavedTabs(v: unknown): v is SavedTabs {
  const t = v as SavedTabs;
  return (
    typeof v === 'object' &&
    v !== null &&
    Array.isArray(t.tabs) &&
    t.tabs.every((p) => typeof p === 'string') &&
    (t.active === undefined || typeof t.active === 'string')
  );
}

const under = (p: string, dir: string): boolean => p === dir || p.startsWith(dir + '/');

export function useEditorTabs(
  api: ApiClient,
  docs: Documents,
  dialogs: Dialogs,
  root: string | undefined,
  refreshTree: () => void,
  check: (path: string) => void,
) {
  const { ask, choose, confirm, fail } = dialogs;
  const [tabs, setTabs] = useState<string[]>([]);
  const [active, setActive] = useState<string | undefined>();
  /** a save that found the file changed on disk, shown side by side */
  const [compare, setCompare] = useState<{ path: string; disk: string } | undefined>();

  const open = useCallback(
    async (path: string) => {
      try {
        await docs.open(path);
        setTabs((t) => (t.includes(path) ? t : [...t, path]));
        setActive(path);
        check(path);
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [docs, check, fail],
  );

  // The tabs of the last session in this app folder, once its root is known.
  const restored = useRef(false);
  useEffect(() => {
    if (!root || restored.current) return;
    restored.current = true;
    const saved = loadJson(`pse.studio.tabs:${root}`, isSavedTabs);
    if (!saved) return;
    void (async () => {
      for (const p of saved.tabs) {
        const ok = await docs.open(p).then(
          () => true,
          () => false,
        );
        if (ok) setTabs((t) => (t.includes(p) ? t : [...t, p]));
      }
      if (saved.active && docs.get(saved.active)) await open(saved.active);
    })();
  }, [root, docs, open]);
  useEffect(() => {
    if (root && restored.current) saveJson(`pse.studio.tabs:${root}`, { tabs, active });
  }, [root, tabs, active]);

  const writeOut = useCallback(
    async (path: string) => {
      try {
        await docs.save(path);
        refreshTree();
      } catch (e) {
        fail(`Could not save ${path}: ${(e as Error).message}`);
      }
    },
    [docs, refreshTree, fail],
  );

  const save = useCallback(
    async (path = active) => {
      if (!path) return;
      const disk = await docs.changedOnDisk(path);
      if (disk && 'text' in disk) {
        const choice = await choose(
          'Changed on disk',
          `${basename(path)} was changed on disk since you opened it. Overwrite it with your text, reload it from disk (dropping your changes), or compare the two first?`,
          ['Compare', 'Overwrite', 'Reload', 'Cancel'],
        );
        if (choice === 0) setCompare({ path, disk: disk.text });
        else if (choice === 1) await writeOut(path);
        else if (choice === 2) await docs.revert(path);
        return;
      }
      await writeOut(path);
    },
    [active, docs, choose, writeOut],
  );

  const resolveCompare = useCallback(
    async (choice: 'overwrite' | 'reload' | 'cancel') => {
      const c = compare;
      setCompare(undefined);
      if (!c || choice === 'cancel') return;
      if (choice === 'overwrite') await writeOut(c.path);
      else await docs.revert(c.path).catch((e: Error) => fail(e.message));
    },
    [compare, docs, writeOut, fail],
  );

  const closeTab = useCallback(
    async (path = active) => {
      if (!path) return;
      if (docs.isDirty(path)) {
        const choice = await choose(
          'Unsaved changes',
          `Save the changes to ${basename(path)} before closing?`,
          ['Save', "Don't save", 'Cancel'],
        );
        if (choice === 2) return;
        if (choice === 0) {
          await save(path);
          if (docs.isDirty(path)) return;
        }
      }
      docs.close(path);
      setTabs((t) => {
        const next = t.filter((p) => p !== path);
        if (path === active) setActive(next.at(-1));
        return next;
      });
    },
    [active, docs, choose, save],
  );

  const create = useCallback(
    async (kind: 'file' | 'dir', inDir: string) => {
      const name = await ask(
        kind === 'file' ? 'New file name' : 'New folder name',
        inDir ? `${inDir}/` : '',
      );
      if (!name) return;
      const path = name.includes('/') ? name : join(inDir, name);
      try {
        await api.createFile(path, kind);
        refreshTree();
        if (kind === 'file') await open(path);
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [api, ask, open, refreshTree, fail],
  );

  const rename = useCallback(
    async (path: string) => {
      const to = await ask(`Rename ${path} to`, path);
      if (!to || to === path) return;
      try {
        await api.renamePath(path, to);
        docs.rename(path, to);
        const moved = (p: string): string => (under(p, path) ? to + p.slice(path.length) : p);
        setTabs((t) => t.map(moved));
        setActive((a) => (a ? moved(a) : a));
        refreshTree();
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [api, ask, docs, refreshTree, fail],
  );

  const remove = useCallback(
    async (path: string) => {
      if (!(await confirm('Delete', `Delete ${path}? This cannot be undone.`, 'Delete'))) return;
      try {
        await api.deletePath(path);
        for (const p of tabs) if (under(p, path)) docs.markDeleted(p);
        refreshTree();
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [api, confirm, docs, tabs, refreshTree, fail],
  );

  return {
    tabs,
    active,
    setActive,
    open,
    save,
    closeTab,
    create,
    rename,
    remove,
    compare,
    resolveCompare,
  };
}
