/**
 * SessionService: sessions, journal and admin API put together for one app — what `Engine`
 * holds. It opens the store and the journal under the app (`[plugins.session] File`,
 * `.pse/journal.sqlite`) or takes those opened already (a PostgreSQL store and the journal its
 * cluster shares), opens each request's session (`open`), records each request in the journal,
 * and exposes the admin API and live events to Studio.
 */
import path from 'node:path';
import type { PseConfig } from '../config/types.js';
import { Journal, type RequestJournal } from '../journal/journal.js';
import { requestDraft, type Failure, type RequestFacts } from '../journal/record.js';
import { RequestEvents } from '../journal/events.js';
import { SessionEvents } from './events.js';
import { SessionManager, type OpenRequest } from './manager.js';
import type { SessionTicket, SessionTrace } from './ticket.js';
import { SqliteSessionStore } from './sqlite-store.js';
import { FileSessionLocks } from './file-locks.js';
import type { SessionStore } from './store.js';
import type { SessionLockProvider } from './cross-process-lock.js';
import type { OpenedStore } from './store-factory.js';
import { SessionAdmin, type PickleEditor } from '../api/admin.js';
import type { JournalEntry } from '../../common/types/journal.js';

/** A journal opened before the service (asynchronously), with the live events it feeds. */
export interface SharedJournal {
  journal: RequestJournal;
  events: SessionEvents;
  requests: RequestEvents;
}

export interface SessionServiceOptions {
  store: SessionStore;
  /** other processes share the store: their session locks */
  crossProcessLock?: SessionLockProvider | null;
  journal: RequestJournal;
  events: SessionEvents;
  requests: RequestEvents;
  session: PseConfig['session'];
  editor: () => PickleEditor;
  now?: () => number;
  /** journal details: see `details` below (default true) */
  details?: boolean;
}

export class SessionService {
  readonly manager: SessionManager;
  readonly journal: RequestJournal;
  readonly events: SessionEvents;
  /** requests started and finished (journaled), for live views */
  readonly requests: RequestEvents;
  readonly admin: SessionAdmin;
  /** the current pool's pickle editor (Studio's inspector stages edits with it) */
  readonly editor: () => PickleEditor;
  /**
   * With the journal on, requests record their details: the line of each session-key write,
   * the servlet's namespace and the timing breakdown (EngineOptions.journalDetails).
   */
  readonly details: boolean;
  private readonly store: SessionStore;
  private readonly crossProcessLock: SessionLockProvider | null;

  constructor(o: SessionServiceOptions) {
    this.store = o.store;
    this.crossProcessLock = o.crossProcessLock ?? null;
    this.journal = o.journal;
    this.events = o.events;
    this.requests = o.requests;
    this.editor = o.editor;
    this.details = o.details !== false;
    this.manager = new SessionManager({
      store: o.store,
      crossProcessLock: o.crossProcessLock ?? null,
      options: o.session,
      events: o.events,
      ...(o.now ? { now: o.now } : {}),
    });
    this.admin = new SessionAdmin({
      manager: this.manager,
      journal: o.journal,
      editor: o.editor,
      events: o.events,
    });
  }

  /** The app's SQLite store and journal (`[Studio] JournalSize` entries; 0 = no journal). */
  /**
   * `exclusive`: this process keeps the session file to itself (`pse serve --production`), so the
   * store may serve loads from memory; a second opener gets an error naming the file.
   * `opened`: a store opened already (store-factory.ts: PostgreSQL opens asynchronously).
   * `log`: where a journal that cannot be written is reported (default: stderr).
   */
  static open(
    config: PseConfig,
    editor: () => PickleEditor,
    opts: {
      exclusive?: boolean;
      /** record the journal's details (EngineOptions.journalDetails; default true) */
      details?: boolean;
      opened?: OpenedStore;
      /**
       * a shared SQLite file's locks, started at boot with the workers (`fileLocksFor`); null
       * for any other store
       */
      locks?: FileSessionLocks | null;
      log?: (message: string) => void;
      /** a journal opened already, on these events (the cluster's: journal/pg-journal.ts) */
      shared?: SharedJournal;
    } = {},
  ): SessionService {
    const events = opts.shared?.events ?? new SessionEvents();
    const requests = opts.shared?.requests ?? new RequestEvents();
    // A shared file may have other processes serving it: each session's requests take turns
    // across them too (file record locks next to the store, their helper started at boot).
    // PostgreSQL brings its own.
    const crossProcessLock: SessionLockProvider | null = opts.opened
      ? opts.opened.lock
      : (opts.locks ?? null);
    if (opts.log) opts.locks?.reportTo(opts.log);
    let store: SessionStore;
    try {
      store =
        opts.opened?.store ??
        new SqliteSessionStore({
          file: config.session.file,
          exclusive: opts.exclusive === true,
          // a store locked by another process is waited for (off the event loop) as a session is
          busyWaitMs: Math.max(1000, config.session.lockTimeout * 1000),
        });
    } catch (err) {
      void crossProcessLock?.close();
      throw err;
    }
    const file = path.join(config.appRoot, '.pse', 'journal.sqlite');
    const log = opts.log ?? ((m: string) => console.error(`pse: ${m}`));
    let journal: RequestJournal;
    try {
      journal =
        opts.shared?.journal ??
        new Journal({
          file,
          size: config.studio.journalSize,
          maxBytes: config.studio.journalMaxBytes,
          events: requests,
          log,
        });
    } catch (err) {
      // Studio's request history, not the app's data: the server runs without it
      log(
        `${err instanceof Error ? err.message : String(err)}; running without a request journal until the next start (move the file away if it stays so)`,
      );
      journal = new Journal({ file, size: 0, events: requests });
    }
    return new SessionService({
      store,
      crossProcessLock,
      journal,
      events,
      requests,
      session: config.session,
      editor,
      details: opts.details !== false,
    });
  }

  /** Resolves once the session locks work across processes (rejects, saying why, if not). */
  async ready(): Promise<void> {
    if (this.crossProcessLock instanceof FileSessionLocks) await this.crossProcessLock.ready;
  }

  /** pse.conf reloaded: new cookie, timeout and lock options; sessions, locks and journal stay. */
  reconfigure(session: PseConfig['session']): void {
    this.manager.reconfigure(session);
  }

  open(req: OpenRequest): Promise<SessionTicket> {
    return this.manager.open(req);
  }

  /** Announces a request (live views); returns its journal serial. */
  started(facts: Pick<RequestFacts, 'time' | 'method' | 'path' | 'query'>): number {
    const serial = this.journal.takeSerial();
    if (this.requests.has('requestStarted'))
      this.requests.emit('requestStarted', { serial, ...facts });
    return serial;
  }

  /** Records a finished request in the journal (and emits requestFinished). */
  finished(
    serial: number,
    facts: RequestFacts,
    trace: SessionTrace | null,
    failure: Failure | null,
    io?: Parameters<typeof requestDraft>[3],
  ): JournalEntry {
    return this.journal.record(requestDraft(facts, trace, failure, io), serial);
  }

  async close(): Promise<void> {
    await this.journal.close();
    // PostgreSQL's lock closes with its store too: closing twice is harmless
    await this.crossProcessLock?.close();
    await this.store.close();
  }
}
