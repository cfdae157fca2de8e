/** The request log's filters, applied to live entries the same way the service applies them. */
import { parseStatusFilter, type RequestLogQuery } from '../../../common/api-inspector.js';
import type { JournalEntry } from '../../../common/types/journal.js';

export type LogFilters = Omit<RequestLogQuery, 'before' | 'limit'>;

export const NO_FILTERS: LogFilters = {
  path: '',
  status: '',
  outcome: '',
  sessionId: '',
  previews: 'hidden',
};

export function matches(f: LogFilters, e: JournalEntry): boolean {
  const status = parseStatusFilter(f.status);
  if (status && !status(e.status)) return false;
  if (f.path && !e.path.includes(f.path)) return false;
  if (f.outcome && e.outcome !== f.outcome) return false;
  if (f.previews === 'hidden' && e.outcome === 'preview' && f.outcome !== 'preview') return false;
  if (f.sessionId && e.sessionId !== f.sessionId) return false;
  return true;
}

export const OUTCOME_LABELS: Record<JournalEntry['outcome'], string> = {
  committed: 'committed',
  rolled_back: 'rolled back',
  partially_committed: 'partially committed',
  preview: 'preview',
  read_only: 'read-only',
  edited: 'edited',
};
