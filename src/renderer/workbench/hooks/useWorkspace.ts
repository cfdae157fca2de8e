/** The app folder as the workbench sees it: name, file tree (live), server status and log lines. */
import { startTransition, useEffect, useMemo, useState } from 'react';
import type { LogLine, ServerStatus, TreeEntry, WorkspaceInfo } from '../../../common/api.js';
import type { ApiClient } from '../../../common/rpc.js';
import { debounce } from '../../base/debounce.js';
import type { Documents } from '../documents.js';

const MAX_LOG_LINES = 2000;

export function useWorkspace(api: ApiClient, docs: Documents, fail: (message: string) => void) {
  const [workspace, setWorkspace] = useState<WorkspaceInfo | undefined>();
  const [tree, setTree] = useState<TreeEntry[]>([]);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [server, setServer] = useState<ServerStatus>({ running: false });

  const refreshTree = useMemo(
    () => debounce(() => void api.listTree().then(setTree, (e: Error) => fail(e.message)), 80),
    [api, fail],
  );

  useEffect(() => {
    void api.getWorkspace().then(setWorkspace, (e: Error) => fail(e.message));
    refreshTree.call();
    void api.serverStatus().then(setServer);
    const subs = [
      api.onFileChange((change) => {
        refreshTree.call();
        if (change.kind === 'change' || change.kind === 'add')
          void docs.reloadFromDisk(change.path);
        if (change.kind === 'unlink') docs.markDeleted(change.path);
      }),
      // A transition: every preview logs a line, and the console must not hold up the preview.
      api.onLog((line) =>
        startTransition(() =>
          setLogs((l) =>
            l.length >= MAX_LOG_LINES ? [...l.slice(-MAX_LOG_LINES / 2), line] : [...l, line],
          ),
        ),
      ),
      api.onServerStatus(setServer),
    ];
    return () => subs.forEach((s) => s.dispose());
  }, [api, docs, refreshTree, fail]);

  const files = useMemo(
    () => new Set(tree.filter((e) => e.kind === 'file').map((e) => e.path)),
    [tree],
  );
  return { workspace, tree, files, refreshTree, logs, setLogs, server };
}
