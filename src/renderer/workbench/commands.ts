/** Every workbench action, once: the palette lists them, keybindings and the menu run them. */
import type { Command } from '../platform/commands.js';
import type { PanelTab } from './PanelArea.js';

export interface WorkbenchActions {
  active: string | undefined;
  explorerSelection: string | undefined;
  save(): void;
  closeTab(): void;
  quickOpen(): void;
  palette(): void;
  reloadPreview(): void;
  newFile(): void;
  newFolder(): void;
  rename(path: string): void;
  remove(path: string): void;
  toggleSidebar(): void;
  togglePanel(): void;
  movePanel(): void;
  showPanel(tab: PanelTab): void;
  focusExplorer(): void;
}

export function workbenchCommands(a: WorkbenchActions): Command[] {
  {
    const sel = a.explorerSelection;
    const view = (tab: PanelTab, title: string): Command => ({
      id: `view.${tab}`,
      title: `View: ${title}`,
      run: () => a.showPanel(tab),
    });
    return [
      {
        id: 'palette',
        title: 'View: Command Palette',
        keys: ['F1', 'Mod+Shift+P'],
        run: a.palette,
      },
      { id: 'quick-open', title: 'Go to File…', keys: ['Mod+P'], run: a.quickOpen },
      { id: 'save', title: 'File: Save', keys: ['Mod+S'], enabled: !!a.active, run: a.save },
      {
        id: 'close-tab',
        title: 'File: Close Editor',
        keys: ['Alt+Mod+W'],
        enabled: !!a.active,
        run: a.closeTab,
      },
      { id: 'new-file', title: 'File: New File…', run: a.newFile },
      { id: 'new-folder', title: 'File: New Folder…', run: a.newFolder },
      {
        id: 'explorer.rename',
        title: 'Explorer: Rename…',
        keys: ['F2'],
        focus: '.explorer',
        enabled: !!sel,
        run: () => sel && a.rename(sel),
      },
      {
        id: 'explorer.delete',
        title: 'Explorer: Delete…',
        keys: ['Delete'],
        focus: '.explorer',
        enabled: !!sel,
        run: () => sel && a.remove(sel),
      },
      {
        id: 'explorer.focus',
        title: 'View: Focus Explorer',
        keys: ['Mod+Shift+E'],
        run: a.focusExplorer,
      },
      {
        id: 'reload-preview',
        title: 'Preview: Reload',
        keys: ['Mod+Shift+R'],
        run: a.reloadPreview,
      },
      { id: 'sidebar', title: 'View: Toggle Sidebar', keys: ['Mod+B'], run: a.toggleSidebar },
      { id: 'panel', title: 'View: Toggle Panel', keys: ['Mod+J'], run: a.togglePanel },
      { id: 'panel.move', title: 'View: Move Panel (Bottom / Side)', run: a.movePanel },
      view('problems', 'Problems'),
      view('console', 'Console'),
      view('requests', 'Request Log'),
      view('sessions', 'Sessions'),
      view('timeline', 'Timeline'),
      view('exceptions', 'Exceptions'),
      view('watches', 'Watches'),
      view('tests', 'Tests'),
    ];
  }
}
