/** Live events of requests: one started (its journal serial taken), one finished (journaled). */
import type { JournalEntry } from '../../common/types/journal.js';
import { LiveEvents } from '../live-events.js';

export interface RequestStartedEvent {
  serial: number;
  time: number;
  method: string;
  path: string;
  query: string;
}

export interface RequestEventMap {
  requestStarted: RequestStartedEvent;
  requestFinished: JournalEntry;
}

export class RequestEvents extends LiveEvents<RequestEventMap> {}
