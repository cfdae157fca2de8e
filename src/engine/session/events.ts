/**
 * Typed events for live views (Studio): a request started or finished, a session changed.
 * Listeners run synchronously and must not throw into the request path: a throwing listener is
 * reported on stderr and otherwise ignored.
 */
import type { JournalEntry } from '../../common/types/journal.js';

export interface RequestStartedEvent {
  serial: number;
  time: number;
  method: string;
  path: string;
  query: string;
}

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
  requestStarted: RequestStartedEvent;
  requestFinished: JournalEntry;
  sessionChanged: SessionChangedEvent;
}

type Listener<T> = (event: T) => void;

export class SessionEvents {
  private readonly listeners: { [K in keyof SessionEventMap]: Set<Listener<SessionEventMap[K]>> } =
    {
      requestStarted: new Set(),
      requestFinished: new Set(),
      sessionChanged: new Set(),
    };

  /** Subscribes; returns the function that unsubscribes. */
  on<K extends keyof SessionEventMap>(name: K, listener: Listener<SessionEventMap[K]>): () => void {
    this.listeners[name].add(listener);
    return () => this.listeners[name].delete(listener);
  }

  emit<K extends keyof SessionEventMap>(name: K, event: SessionEventMap[K]): void {
    for (const l of this.listeners[name]) {
      try {
        l(event);
      } catch (err) {
        console.error(
          `pse: a ${name} listener failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
  }

  has(name: keyof SessionEventMap): boolean {
    return this.listeners[name].size > 0;
  }
}
