/**
 * The workbench layout: sidebar and panel (collapsible, resizable), where the panel sits
 * (below or beside the editor) and which of its views is shown. Sizes are kept by
 * react-resizable-panels; the rest here; all of it in localStorage, restored on the next start.
 */
import { useCallback, useEffect, useState } from 'react';
import { useDefaultLayout, usePanelRef } from 'react-resizable-panels';
import { loadJson, saveJson } from '../../base/storage.js';
import { PANEL_TABS, type PanelTab } from '../PanelArea.js';

interface SavedView {
  side: boolean;
  tab: PanelTab;
}

const VIEW_KEY = 'pse.studio.view';

function isSavedView(v: unknown): v is SavedView {
  const s = v as SavedView;
  return (
    typeof v === 'object' && v !== null && typeof s.side === 'boolean' && PANEL_TABS.includes(s.tab)
  );
}

export function useLayout() {
  const saved = loadJson(VIEW_KEY, isSavedView);
  const [side, setSide] = useState(saved?.side ?? false);
  const [tab, setTab] = useState<PanelTab>(saved?.tab ?? 'problems');
  useEffect(() => saveJson(VIEW_KEY, { side, tab }), [side, tab]);

  const sidebar = usePanelRef();
  const panel = usePanelRef();
  const storage = typeof localStorage === 'undefined' ? undefined : localStorage;
  const outer = useDefaultLayout({
    id: 'pse.studio.layout.outer',
    ...(storage ? { storage } : {}),
  });
  const body = useDefaultLayout({
    id: side ? 'pse.studio.layout.body-side' : 'pse.studio.layout.body-bottom',
    ...(storage ? { storage } : {}),
  });
  const work = useDefaultLayout({ id: 'pse.studio.layout.work', ...(storage ? { storage } : {}) });

  const toggle = (ref: typeof sidebar): void => {
    const p = ref.current;
    if (!p) return;
    if (p.isCollapsed()) p.expand();
    else p.collapse();
  };
  const toggleSidebar = useCallback(() => toggle(sidebar), [sidebar]);
  const togglePanel = useCallback(() => toggle(panel), [panel]);
  const hidePanel = useCallback(() => panel.current?.collapse(), [panel]);
  /** shows a view of the panel, opening the panel if it is collapsed */
  const showPanel = useCallback(
    (t: PanelTab) => {
      setTab(t);
      if (panel.current?.isCollapsed()) panel.current.expand();
    },
    [panel],
  );
  const movePanel = useCallback(() => setSide((s) => !s), []);

  return {
    side,
    tab,
    showPanel,
    sidebar,
    panel,
    outer,
    body,
    work,
    toggleSidebar,
    togglePanel,
    hidePanel,
    movePanel,
  };
}
