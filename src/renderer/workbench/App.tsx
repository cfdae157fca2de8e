/**
 * The workbench: Explorer | editor | preview, with the panel (Problems, Console, Requests,
 * Sessions, Timeline, Exceptions, Watches, Tests) below or beside them; every divider drags, sidebar and panel collapse,
 * and the layout and open tabs come back on the next start. State lives in the hooks; the views
 * are dumb. Keybindings, the command palette and the desktop menu run the same commands.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Group, Panel, Separator } from 'react-resizable-panels';
import type { LocatedProblem, PreviewRequest, PreviewResult } from '../../common/api.js';
import { Channel } from '../../common/desktop.js';
import type { ApiClient } from '../../common/rpc.js';
import { LatestRunner } from '../base/latest.js';
import type { monaco } from '../editor/monaco-setup.js';
import { desktopBridge } from '../platform/transport.js';
import { CommandPalette } from './CommandPalette.js';
import { workbenchCommands } from './commands.js';
import { CompareDialog } from './CompareDialog.js';
import { Dialog } from './Dialog.js';
import { Documents } from './documents.js';
import { EditorArea } from './EditorArea.js';
import { FileTree } from './FileTree.js';
import { DialogsContext, useDialogs } from './hooks/useDialogs.js';
import { useEditorTabs } from './hooks/useEditorTabs.js';
import { useKeybindings } from './hooks/useKeybindings.js';
import { useLayout } from './hooks/useLayout.js';
import { useEditVersion, useProblems } from './hooks/useProblems.js';
import { useWorkspace } from './hooks/useWorkspace.js';
import { PanelArea } from './PanelArea.js';
import { PreviewPane, type PreviewQueue } from './PreviewPane.js';
import { QuickOpen } from './QuickOpen.js';
import { ServerBar } from './ServerBar.js';
import { WatchNotifier } from './watches/WatchNotifier.js';

export function App({ api }: { api: ApiClient }) {
  const docs = useMemo(() => new Documents(api), [api]);
  const previews: PreviewQueue = useMemo(
    () => new LatestRunner<PreviewRequest, PreviewResult>((req) => api.preview(req)),
    [api],
  );
  const { dialogs, dialog, closeDialog, notice, dismissNotice } = useDialogs();
  const { fail } = dialogs;
  const ws = useWorkspace(api, docs, fail);
  const { problems, check, onRuntimeProblems } = useProblems(api, docs, previews, fail);
  const ed = useEditorTabs(api, docs, dialogs, ws.workspace?.root, ws.refreshTree.call, check.call);
  const editVersion = useEditVersion(docs, ed.active, check.call);
  const layout = useLayout();
  const [quickOpen, setQuickOpen] = useState(false);
  const [palette, setPalette] = useState(false);
  const [reloadTick, setReloadTick] = useState(0);
  const [explorerSel, setExplorerSel] = useState<string | undefined>();
  const [previewSession, setPreviewSession] = useState<{ id: string; nonce: number } | undefined>();
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | undefined>(undefined);

  const { open, save, closeTab, create, rename, remove } = ed;
  const commands = workbenchCommands({
    active: ed.active,
    explorerSelection: explorerSel ?? ed.active,
    save: () => void save(),
    closeTab: () => void closeTab(),
    quickOpen: () => setQuickOpen(true),
    palette: () => setPalette(true),
    reloadPreview: () => setReloadTick((t) => t + 1),
    newFile: () => void create('file', ''),
    newFolder: () => void create('dir', ''),
    rename: (p) => void rename(p),
    remove: (p) => void remove(p),
    toggleSidebar: layout.toggleSidebar,
    togglePanel: layout.togglePanel,
    movePanel: layout.movePanel,
    showPanel: layout.showPanel,
    focusExplorer: () => {
      if (layout.sidebar.current?.isCollapsed()) layout.sidebar.current.expand();
      document.querySelector<HTMLElement>('.explorer .tree')?.focus();
    },
  });
  useKeybindings(commands);

  // The dirty flag the main process asks before closing the window.
  const anyDirty = ed.tabs.some((p) => docs.isDirty(p));
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

  // The dirty set is recomputed on each edit, but keeps its identity while it is unchanged so
  // that the memoized views do not re-render on every keystroke.
  const dirtyKey = ed.tabs.filter((p) => docs.isDirty(p)).join('\n');
  const dirty = useMemo(() => new Set(dirtyKey ? dirtyKey.split('\n') : []), [dirtyKey]);
  const onOpen = useCallback((p: string) => void open(p), [open]);
  const onCreate = useCallback((k: 'file' | 'dir', d: string) => void create(k, d), [create]);
  const onRename = useCallback((p: string) => void rename(p), [rename]);
  const onRemove = useCallback((p: string) => void remove(p), [remove]);
  const { setLogs } = ws;
  const onClearLogs = useCallback(() => setLogs([]), [setLogs]);

  const gotoProblem = useCallback(
    async (p: LocatedProblem) => {
      await open(p.file);
      const editor = editorRef.current;
      if (!editor) return;
      editor.setPosition({ lineNumber: p.line, column: p.col });
      editor.revealLineInCenter(p.line);
      editor.focus();
    },
    [open],
  );
  const onGoto = useCallback((p: LocatedProblem) => void gotoProblem(p), [gotoProblem]);
  const onOpenLine = useCallback(
    (file: string, line: number, col: number) =>
      void gotoProblem({ stage: 'runtime', file, line, col, message: '' }),
    [gotoProblem],
  );
  const onPreviewSession = useCallback((id: string) => {
    setPreviewSession({ id, nonce: Date.now() });
  }, []);
  const onEditorReady = useCallback((editor: monaco.editor.IStandaloneCodeEditor) => {
    editorRef.current = editor;
  }, []);

  return (
    <DialogsContext.Provider value={dialogs}>
      <div className="workbench">
        <header className="titlebar">
          <span className="app-name">PSE Studio</span>
          <span className="workspace-name" title={ws.workspace?.root}>
            {ws.workspace?.name ?? '…'}
          </span>
          <button className="palette-button" onClick={() => setPalette(true)} title="F1">
            Commands
          </button>
          <ServerBar api={api} status={ws.server} onError={fail} />
        </header>
        {notice ? (
          <div className="notice" role="status">
            {notice}
            <button onClick={dismissNotice} aria-label="Dismiss">
              ×
            </button>
          </div>
        ) : null}
        <Group className="main" orientation="horizontal" {...layout.outer}>
          <Panel
            id="sidebar"
            panelRef={layout.sidebar}
            collapsible
            defaultSize="220px"
            minSize="140px"
            groupResizeBehavior="preserve-pixel-size"
          >
            <FileTree
              entries={ws.tree}
              active={ed.active}
              dirty={dirty}
              selected={explorerSel}
              onSelect={setExplorerSel}
              onOpen={onOpen}
              onCreate={onCreate}
              onRename={onRename}
              onDelete={onRemove}
            />
          </Panel>
          <Separator className="sash" />
          <Panel id="body" minSize="40%">
            <Group orientation={layout.side ? 'horizontal' : 'vertical'} {...layout.body}>
              <Panel id="work" minSize="25%">
                <Group orientation="horizontal" {...layout.work}>
                  <Panel id="editor" minSize="20%">
                    <EditorArea
                      docs={docs}
                      tabs={ed.tabs}
                      active={ed.active}
                      dirty={dirty}
                      onSelect={ed.setActive}
                      onClose={(p) => void closeTab(p)}
                      onSave={(p) => void save(p)}
                      onEditorReady={onEditorReady}
                    />
                  </Panel>
                  <Separator className="sash" />
                  <Panel id="preview" minSize="20%">
                    <PreviewPane
                      sessionRequest={previewSession}
                      api={api}
                      queue={previews}
                      docs={docs}
                      active={ed.active}
                      files={ws.files}
                      editVersion={editVersion}
                      reloadTick={reloadTick}
                      onRuntimeProblems={onRuntimeProblems}
                    />
                  </Panel>
                </Group>
              </Panel>
              <Separator className="sash" />
              <Panel
                id="panel"
                panelRef={layout.panel}
                collapsible
                defaultSize={layout.side ? '40%' : '30%'}
                minSize="90px"
              >
                <PanelArea
                  api={api}
                  tab={layout.tab}
                  onTab={layout.showPanel}
                  problems={problems}
                  logs={ws.logs}
                  serverUrl={ws.server.url}
                  side={layout.side}
                  onGoto={onGoto}
                  onClearLogs={onClearLogs}
                  onOpenLine={onOpenLine}
                  onPreviewSession={onPreviewSession}
                  onMove={layout.movePanel}
                  onHide={layout.hidePanel}
                  onError={fail}
                />
              </Panel>
            </Group>
          </Panel>
        </Group>
        {quickOpen ? (
          <QuickOpen
            files={[...ws.files]}
            onClose={() => setQuickOpen(false)}
            onPick={(p) => {
              setQuickOpen(false);
              void open(p);
            }}
          />
        ) : null}
        {palette ? <CommandPalette commands={commands} onClose={() => setPalette(false)} /> : null}
        {ed.compare ? (
          <CompareDialog
            docs={docs}
            path={ed.compare.path}
            disk={ed.compare.disk}
            onResolve={(c) => void ed.resolveCompare(c)}
          />
        ) : null}
        {dialog ? <Dialog request={dialog} done={closeDialog} /> : null}
        <WatchNotifier api={api} />
      </div>
    </DialogsContext.Provider>
  );
}
