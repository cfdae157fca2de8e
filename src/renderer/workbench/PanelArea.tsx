/**
 * The workbench panel, beside or below the editor and preview: Problems, Console and the
 * inspector's Requests, Sessions, Timeline, Exceptions, Watches and Tests, under one tab strip.
 */
import { memo, useCallback, useState } from 'react';
import type { LocatedProblem, LogLine } from '../../common/api.js';
import type { ApiClient } from '../../common/rpc.js';
import { ConsoleView } from './ConsoleView.js';
import { InspectorPanel, type InspectorTab } from './inspector/InspectorPanel.js';
import { ProblemsView } from './ProblemsView.js';
import { Tabs } from './Tabs.js';

export type PanelTab = 'problems' | 'console' | InspectorTab;
export const PANEL_TABS: readonly PanelTab[] = [
  'problems',
  'console',
  'requests',
  'sessions',
  'timeline',
  'exceptions',
  'watches',
  'tests',
];

interface Props {
  api: ApiClient;
  tab: PanelTab;
  onTab(tab: PanelTab): void;
  problems: LocatedProblem[];
  logs: LogLine[];
  serverUrl: string | undefined;
  side: boolean;
  onGoto(problem: LocatedProblem): void;
  onClearLogs(): void;
  onOpenLine(file: string, line: number, col: number): void;
  onPreviewSession(id: string): void;
  onMove(): void;
  onHide(): void;
  onError(message: string): void;
}

export const PanelArea = memo(function PanelArea(p: Props) {
  const [pendingCount, setPendingCount] = useState(0);
  const { onTab } = p;
  const select = useCallback((id: string) => onTab(id as PanelTab), [onTab]);
  const inspectorTab = p.tab === 'problems' || p.tab === 'console' ? null : p.tab;
  const items = [
    {
      id: 'problems',
      label: (
        <>
          Problems <span className="count">{p.problems.length}</span>
        </>
      ),
    },
    {
      id: 'console',
      label: (
        <>
          Console <span className="count">{p.logs.length}</span>
        </>
      ),
    },
    { id: 'requests', label: 'Requests' },
    { id: 'sessions', label: `Sessions${pendingCount ? ` (${pendingCount} pending)` : ''}` },
    { id: 'timeline', label: 'Timeline' },
    { id: 'exceptions', label: 'Exceptions' },
    { id: 'watches', label: 'Watches' },
    { id: 'tests', label: 'Tests' },
  ];
  return (
    <div className="panel-area">
      <Tabs
        items={items}
        active={p.tab}
        onSelect={select}
        label="Panel"
        className="panel-tabs"
        actions={
          <>
            {p.tab === 'console' ? (
              <button className="panel-action" onClick={p.onClearLogs}>
                Clear
              </button>
            ) : null}
            <button
              className="panel-action"
              onClick={p.onMove}
              title={
                p.side ? 'Move the panel below the editor' : 'Move the panel beside the editor'
              }
            >
              {p.side ? 'Move to bottom' : 'Move to side'}
            </button>
            <button className="panel-action" aria-label="Hide panel" onClick={p.onHide}>
              ×
            </button>
          </>
        }
      />
      <div className="panel-body">
        {p.tab === 'problems' ? <ProblemsView problems={p.problems} onGoto={p.onGoto} /> : null}
        {p.tab === 'console' ? <ConsoleView logs={p.logs} /> : null}
        <InspectorPanel
          api={p.api}
          serverUrl={p.serverUrl}
          onError={p.onError}
          onOpenLine={p.onOpenLine}
          onPreviewSession={p.onPreviewSession}
          tab={inspectorTab}
          onTab={onTab}
          onPendingCount={setPendingCount}
        />
      </div>
    </div>
  );
});
