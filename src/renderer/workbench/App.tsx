/**
 * The workbench: Explorer | tabs + editor | preview, with Problems and Console below. State
 * lives here; the views are dumb. Keyboard shortcuts and desktop menu commands end up in the
 * same handlers.
 */
import { startTransition, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type {
  LocatedProblem,
  LogLine,
  PreviewRequest,
  PreviewResult,
  ServerStatus,
  TreeEntry,
  WorkspaceInfo,
} from '../../common/api.js';
import { Channel, DESKTOP_COMMANDS, type DesktopCommand } from '../../common/desktop.js';
import type { ApiClient } from '../../common/rpc.js';
import { debounce } from '../base/debounce.js';
import { LatestRunner } from '../base/latest.js';
import { basename, join } from '../base/paths.js';
import { setProblems } from '../editor/markers.js';
import type { monaco } from '../editor/monaco-setup.js';
import { desktopBridge } from '../platform/transport.js';
import { BottomPanel } from './BottomPanel.js';
import { Dialog, type DialogRequest } from './Dialog.js';
import { Documents } from './documents.js';
import { EditorPane } from './EditorPane.js';
import { FileTree } from './FileTree.js';
import { InspectorPanel } from './inspector/InspectorPanel.js';
import { PreviewPane, type PreviewQueue } from './PreviewPane.js';
import { mergeProblems, sameProblems } from './problems.js';
import { QuickOpen } from './QuickOpen.js';
import { ServerBar } from './ServerBar.js';

// Later than the preview, and only once no preview runs or waits: both use the worker pool (and
// this window's main thread), and the preview is what the user watches.
const COMPILE_DEBOUNCE_MS = 250;
const MAX_LOG_LINES = 2000;

export function App({ api }: { api: ApiClient }) {
  const docs = useMemo(() => new Documents(api), [api]);
  const previews: PreviewQueue = useMemo(
    () => new LatestRunner<PreviewRequest, PreviewResult>((req) => api.preview(req)),
    [api],
  );
  const [workspace, setWorkspace] = useState<WorkspaceInfo | undefined>();
  const [tree, setTree] = useState<TreeEntry[]>([]);
  const [tabs, setTabs] = useState<string[]>([]);
  const [active, setActive] = useState<string | undefined>();
  const [editVersion, setEditVersion] = useState(0);
  const [compileProblems, setCompileProblems] = useState<Record<string, LocatedProblem[]>>({});
  const [runtimeProblems, setRuntimeProblems] = useState<LocatedProblem[]>([]);
  const runtimeRef = useRef<LocatedProblem[]>([]);
  const [logs, setLogs] = useState<LogLine[]>([]);
  const [server, setServer] = useState<ServerStatus>({ running: false });
  const [quickOpen, setQuickOpen] = useState(false);
  const [dialog, setDialog] = useState<DialogRequest | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [reloadTick, setReloadTick] = useState(0);
  // Issue 6: the inspector replaces the editor area while shown (both stay mounted).
  const [view, setView] = useState<'editor' | 'inspector'>('editor');
  const [previewSession, setPreviewSession] = useState<{ id: string; nonce: number } | undefined>();
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | undefined>(undefined);

  const ask = useCallback(
    (title: string, initial: string) =>
      new Promise<string | null>((resolve) =>
        setDialog({ kind: 'prompt', title, initial, resolve }),
      ),
    [],
  );
  const choose = useCallback(
    (title: string, message: string, buttons: string[]) =>
      new Promise<number>((resolve) =>
        setDialog({ kind: 'confirm', title, message, buttons, resolve }),
      ),
    [],
  );
  const fail = useCallback((message: string) => setNotice(message), []);

  const refreshTree = useMemo(
    () => debounce(() => void api.listTree().then(setTree, (e: Error) => fail(e.message)), 80),
    [api, fail],
  );

  // Connect: workspace, tree, server status, events.
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

  // Compile check as you type (debounced per file).
  const check = useMemo(
    () =>
      debounce((path: string) => {
        const doc = docs.get(path);
        if (!doc) return;
        const version = doc.model.getVersionId();
        void previews.whenIdle().then(() => {
          // typed on meanwhile: that edit scheduled its own check
          if (doc.model.isDisposed() || doc.model.getVersionId() !== version) return;
          api.compileCheck(path, doc.model.getValue()).then(
            (problems) => {
              if (doc.model.isDisposed() || doc.model.getVersionId() !== version) return;
              setProblems(
                doc.model,
                'pse-compile',
                problems.filter((p) => p.file === path),
              );
              setCompileProblems((all) =>
                sameProblems(all[path], problems) ? all : { ...all, [path]: problems },
              );
            },
            (e: Error) => fail(e.message),
          );
        });
      }, COMPILE_DEBOUNCE_MS),
    [api, docs, previews, fail],
  );

  useEffect(() => {
    const off = docs.onDidChange(() => {
      setEditVersion((v) => v + 1);
      if (active) check.call(active);
    });
    return () => {
      off();
    };
  }, [docs, active, check]);

  const onRuntimeProblems = useCallback(
    (problems: LocatedProblem[]) => {
      // the same problems again (mostly none): no re-render of the workbench
      if (sameProblems(runtimeRef.current, problems)) return;
      runtimeRef.current = problems;
      setRuntimeProblems(problems);
      for (const doc of docs.all())
        setProblems(
          doc.model,
          'pse-runtime',
          problems.filter((p) => p.file === doc.path),
        );
    },
    [docs],
  );

  const open = useCallback(
    async (path: string) => {
      try {
        await docs.open(path);
        setTabs((t) => (t.includes(path) ? t : [...t, path]));
        setActive(path);
        check.call(path);
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [docs, check, fail],
  );

  const save = useCallback(
    async (path = active) => {
      if (!path) return;
      try {
        await docs.save(path);
        refreshTree.call();
      } catch (e) {
        fail(`Could not save ${path}: ${(e as Error).message}`);
      }
    },
    [active, docs, refreshTree, fail],
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
        refreshTree.call();
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
        setTabs((t) =>
          t.map((p) => (p === path || p.startsWith(path + '/') ? to + p.slice(path.length) : p)),
        );
        setActive((a) =>
          a && (a === path || a.startsWith(path + '/')) ? to + a.slice(path.length) : a,
        );
        refreshTree.call();
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [api, ask, docs, refreshTree, fail],
  );

  const remove = useCallback(
    async (path: string) => {
      const choice = await choose('Delete', `Delete ${path}? This cannot be undone.`, [
        'Delete',
        'Cancel',
      ]);
      if (choice !== 0) return;
      try {
        await api.deletePath(path);
        for (const p of tabs) if (p === path || p.startsWith(path + '/')) docs.markDeleted(p);
        refreshTree.call();
      } catch (e) {
        fail((e as Error).message);
      }
    },
    [api, choose, docs, tabs, refreshTree, fail],
  );

  const command = useCallback(
    (cmd: DesktopCommand) => {
      if (cmd === 'save') void save();
      else if (cmd === 'quick-open') setQuickOpen(true);
      else if (cmd === 'close-tab') void closeTab();
      else if (cmd === 'reload-preview') setReloadTick((t) => t + 1);
      else if (cmd === 'new-file') void create('file', '');
    },
    [save, closeTab, create],
  );

  // Shortcuts outside the editor (inside it, Monaco's own commands run first).
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === 's') command('save');
      else if (key === 'p') command('quick-open');
      else if (key === 'r' && e.shiftKey) command('reload-preview');
      else if (key === 'w' && e.altKey) command('close-tab');
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [command]);

  // Desktop menu commands and the dirty flag the main process asks before closing the window.
  useEffect(() => {
    const bridge = desktopBridge();
    if (!bridge) return;
    return bridge.on(Channel.menu, (msg) => {
      if ((DESKTOP_COMMANDS as readonly string[]).includes(msg)) command(msg as DesktopCommand);
    });
  }, [command]);
  const anyDirty = tabs.some((p) => docs.isDirty(p));
  useEffect(() => {
    desktopBridge()?.send(Channel.dirty, anyDirty ? '1' : '0');
  }, [anyDirty]);

  // Unsaved changes are never lost silently: the browser asks before leaving.
  useEffect(() => {
    const onBeforeUnload = (e: BeforeUnloadEvent): void => {
      if (!docs.anyDirty()) return;
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', onBeforeUnload);
    return () => window.removeEventListener('beforeunload', onBeforeUnload);
  }, [docs]);

  const problems = useMemo(
    () => mergeProblems(compileProblems, runtimeProblems),
    [compileProblems, runtimeProblems],
  );
  const files = useMemo(
    () => new Set(tree.filter((e) => e.kind === 'file').map((e) => e.path)),
    [tree],
  );
  // The dirty set is recomputed on each edit, but keeps its identity while it is unchanged so
  // that the memoized views do not re-render on every keystroke.
  const dirtyKey = tabs.filter((p) => docs.isDirty(p)).join('\n');
  const dirty = useMemo(() => new Set(dirtyKey ? dirtyKey.split('\n') : []), [dirtyKey]);
  const onOpen = useCallback((p: string) => void open(p), [open]);
  const onCreate = useCallback((k: 'file' | 'dir', d: string) => void create(k, d), [create]);
  const onRename = useCallback((p: string) => void rename(p), [rename]);
  const onRemove = useCallback((p: string) => void remove(p), [remove]);
  const onClearLogs = useCallback(() => setLogs([]), []);
  const activeDoc = active ? docs.get(active) : undefined;

  const gotoProblem = useCallback(
    async (p: LocatedProblem) => {
      await open(p.file);
      const ed = editorRef.current;
      if (!ed) return;
      ed.setPosition({ lineNumber: p.line, column: p.col });
      ed.revealLineInCenter(p.line);
      ed.focus();
    },
    [open],
  );
  const onGoto = useCallback((p: LocatedProblem) => void gotoProblem(p), [gotoProblem]);
  // Stable, so that the (hidden) inspector does not re-render on every keystroke.
  const onOpenLine = useCallback(
    (file: string, line: number, col: number) => {
      setView('editor');
      void gotoProblem({ stage: 'runtime', file, line, col, message: '' });
    },
    [gotoProblem],
  );
  const onPreviewSession = useCallback((id: string) => {
    setView('editor');
    setPreviewSession({ id, nonce: Date.now() });
  }, []);
  const onEditorReady = useCallback((ed: monaco.editor.IStandaloneCodeEditor) => {
    editorRef.current = ed;
  }, []);

  return (
    <div className="workbench">
      <header className="titlebar">
        <span className="app-name">PSE Studio</span>
        <span className="workspace-name" title={workspace?.root}>
          {workspace?.name ?? '…'}
        </span>
        <button
          className="view-toggle"
          aria-pressed={view === 'inspector'}
          onClick={() => setView((v) => (v === 'editor' ? 'inspector' : 'editor'))}
        >
          Inspector
        </button>
        <ServerBar api={api} status={server} onError={fail} />
      </header>
      {notice ? (
        <div className="notice" role="status">
          {notice}
          <button onClick={() => setNotice(undefined)} aria-label="Dismiss">
            ×
          </button>
        </div>
      ) : null}
      <div className="main" style={view === 'inspector' ? { display: 'none' } : undefined}>
        <FileTree
          entries={tree}
          active={active}
          dirty={dirty}
          onOpen={onOpen}
          onCreate={onCreate}
          onRename={onRename}
          onDelete={onRemove}
        />
        <div className="center">
          <div className="tabs" role="tablist">
            {tabs.map((p) => {
              const doc = docs.get(p);
              return (
                <div
                  key={p}
                  role="tab"
                  data-path={p}
                  aria-selected={p === active}
                  className={`tab ${p === active ? 'active' : ''} ${dirty.has(p) ? 'dirty' : ''}`}
                  onClick={() => setActive(p)}
                  title={p}
                >
                  {basename(p)}
                  {doc?.conflict ? (
                    <span className="conflict"> ({doc.conflict} on disk)</span>
                  ) : null}
                  <span className="dirty-marker">{dirty.has(p) ? ' ●' : ''}</span>
                  <button
                    className="tab-close"
                    aria-label={`Close ${basename(p)}`}
                    onClick={(e) => {
                      e.stopPropagation();
                      void closeTab(p);
                    }}
                  >
                    ×
                  </button>
                </div>
              );
            })}
          </div>
          <EditorPane
            doc={activeDoc}
            onSave={() => void save()}
            onQuickOpen={() => setQuickOpen(true)}
            onEditorReady={onEditorReady}
          />
        </div>
        <PreviewPane
          sessionRequest={previewSession}
          api={api}
          queue={previews}
          docs={docs}
          active={active}
          files={files}
          editVersion={editVersion}
          reloadTick={reloadTick}
          onRuntimeProblems={onRuntimeProblems}
        />
      </div>
      <div
        className="inspector-host"
        style={view === 'inspector' ? undefined : { display: 'none' }}
      >
        <InspectorPanel
          api={api}
          serverUrl={server.url}
          onError={fail}
          onOpenLine={onOpenLine}
          onPreviewSession={onPreviewSession}
        />
      </div>
      <BottomPanel problems={problems} logs={logs} onGoto={onGoto} onClearLogs={onClearLogs} />
      {quickOpen ? (
        <QuickOpen
          files={[...files]}
          onClose={() => setQuickOpen(false)}
          onPick={(p) => {
            setQuickOpen(false);
            void open(p);
          }}
        />
      ) : null}
      {dialog ? <Dialog request={dialog} done={() => setDialog(undefined)} /> : null}
    </div>
  );
}
