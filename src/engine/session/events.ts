/** Live events of sessions: a session was changed by a request, an admin edit or the sweep. */
import { LiveEvents } from '../live-events.js';

export interface SessionChangedEvent {
  id: string;
  /** null: the session was deleted / invalidated */
  version: number | null;
  namespaces: string[];
  /** the new id after session.regenerate() */
  renamedTo?: string;
  by: 'request' | 'admin' | 'sweep';
}

export interface SessionEventMap {
  sessionChanged: SessionChangedEvent;
}

export class SessionEvents extends LiveEvents<SessionEventMap> {}
