/**
 * SessionManager: the one seam between a request and its session.
 *
 *   const ticket = await sessions.open({ cookieHeader });   // validate id, take the lock, load
 *   ... pool runs the servlet with ticket.session; a `call save` → await ticket.save(result) ...
 *   const { setCookie, trace } = await ticket.finish({ ok, session });  // commit or roll back, unlock
 *
 * Rules (docs/language.md, Sessions): a cookie id that is malformed, unknown or expired is ignored, never adopted;
 * a session is created only when something is stored; on success every change is committed in
 * one transaction; on failure nothing after the last save() is; a dry run commits nothing.
 */
import type { NamespaceChange, SavePoint } from '../../common/types/journal.js';
import type { PreviewValue } from '../../common/types/session.js';
import type { SessionInput, SessionResult } from './result.js';
import type {
  FinishOutcome,
  FinishResult,
  FollowingTurn,
  SessionPlace,
  SessionState,
  SessionTicket,
  SessionTrace,
} from './ticket.js';
import { sessionClearCookie, sessionSetCookie, type CookieOptions } from './cookie.js';
import { formerNamesAfterRename, readSessionCookie, type CookieSession } from './cookie-names.js';
import { withCrossProcessLoad, withCrossProcessLock } from './cross-process-open.js';
import { namespaceChange } from './diff.js';
import type { SessionEvents } from './events.js';
import { nextState, snapshotState, type HeldSession } from './held-state.js';
import { isWellFormedSessionId } from './ids.js';
import { SessionLocks, type Release } from './locks.js';
import type { SessionLockProvider } from './cross-process-lock.js';
import { changesOf, discardedChanges, mergeChanges, outcomeOf } from './request-changes.js';
import type { SessionConfig } from '../config/types.js';
import {
  isNamespaceName,
  SessionStoreError,
  StoreUnavailableError,
  type SessionStore,
  type StoredNamespace,
} from './store.js';
import { SweepSchedule } from './sweep-schedule.js';
import { expiresAt, touchEveryMs } from './touch-policy.js';

export interface OpenRequest {
  /** the request's `Cookie` header */
  cookieHeader?: string;
  /** that header already read with `readCookie` (the server reads it once per request) */
  cookie?: CookieSession;
  /** Studio preview: run against the state, commit nothing (not even save()) */
  dry?: boolean;
  /** dry runs only: the session to run against, instead of the cookie's */
  sessionId?: string;
  /** dry runs only: run against this state (e.g. a copy of a past state from the journal) */
  snapshot?: SessionInput & { previews?: Record<string, PreviewValue> };
}

export interface SessionManagerOptions {
  store: SessionStore;
  options: Pick<
    SessionConfig,
    | 'cookieName'
    | 'cookieSecure'
    | 'cookieExpires'
    | 'timeout'
    | 'collectionProbability'
    | 'lockTimeout'
  >;
  events?: SessionEvents;
  /** other processes serve the same store: a session's requests are serialized across them too */
  crossProcessLock?: SessionLockProvider | null;
  /** clock (epoch ms), for tests of expiry */
  now?: () => number;
  /** [0, 1) random source for the sweep probability */
  random?: () => number;
}

export class SessionManager {
  readonly store: SessionStore;
  readonly locks: SessionLocks;
  /** the current cookie options; updated in place by reconfigure() */
  readonly cookie: CookieOptions;
  private opts: SessionManagerOptions['options'];
  /** cookie names used before a reload renamed the cookie: still read, then replaced */
  private formerCookieNames: string[] = [];
  private readonly events: SessionEvents | undefined;
  private readonly crossProcessLock: SessionLockProvider | null;
  readonly now: () => number;
  private readonly sweeps: SweepSchedule;

  constructor(o: SessionManagerOptions) {
    this.store = o.store;
    this.opts = o.options;
    this.events = o.events;
    this.crossProcessLock = o.crossProcessLock ?? null;
    this.now = o.now ?? Date.now;
    this.sweeps = new SweepSchedule(() => this.sweep(), o.random ?? Math.random);
    this.locks = new SessionLocks(o.options.lockTimeout * 1000);
    this.cookie = {
      name: o.options.cookieName,
      secure: o.options.cookieSecure,
      expiresMinutes: o.options.cookieExpires,
    };
  }

  /**
   * New session options (pse.conf reloaded): the store, the locks held or awaited and the
   * journal stay as they are. A renamed cookie is still read under its former names, and a
   * request that arrives with one gets the cookie under the new name (and the old one cleared),
   * so no session is lost to the rename.
   */
  reconfigure(options: SessionManagerOptions['options']): void {
    if (options.cookieName !== this.cookie.name) {
      this.formerCookieNames = formerNamesAfterRename(
        this.cookie.name,
        options.cookieName,
        this.formerCookieNames,
      );
    }
    this.opts = options;
    this.locks.setTimeout(options.lockTimeout * 1000);
    this.cookie.name = options.cookieName;
    this.cookie.secure = options.cookieSecure;
    this.cookie.expiresMinutes = options.cookieExpires;
  }

  /** The well-formed session id a request's cookies carry, and the former cookie name it came under. */
  readCookie(header: string | undefined): CookieSession {
    return readSessionCookie(header, this.cookie.name, this.formerCookieNames);
  }

  /** Expiry for a session accessed at `now`: `Timeout` plus the touch slack (see touchEveryMs). */
  expiresAt(now: number): number {
    return expiresAt(now, this.opts.timeout);
  }

  /** How long after its recorded access a read leaves a session's expiry as it is. */
  touchEveryMs(): number {
    return touchEveryMs(this.opts.timeout);
  }

  async open(req: OpenRequest): Promise<SessionTicket> {
    this.sweeps.maybe(this.opts.collectionProbability);
    const dry = req.dry === true;
    if (!dry && (req.sessionId !== undefined || req.snapshot !== undefined)) {
      throw new Error('SessionManager.open: sessionId and snapshot are for dry runs only');
    }
    if (req.snapshot) {
      const held = snapshotState(req.snapshot, () => this.now());
      return new Ticket(this, held, 0, true, null);
    }
    const fromCookie =
      req.sessionId === undefined ? (req.cookie ?? this.readCookie(req.cookieHeader)) : null;
    const id = req.sessionId ?? fromCookie?.id ?? null;
    if (id === null || !isWellFormedSessionId(id)) return new Ticket(this, null, 0, dry, null);
    let release = this.locks.tryAcquire(id);
    let lockWaitMs = 0;
    const queued = release === null;
    let turn = release === null ? undefined : this.locks.tail(id);
    if (release === null) {
      const t0 = performance.now();
      const waiting = this.locks.acquireTurn(id);
      turn = waiting.turn;
      release = (await waiting.granted).release;
      lockWaitMs = performance.now() - t0;
    }
    let loaded;
    if (this.crossProcessLock?.acquireAndLoad) {
      const t0 = performance.now();
      ({ release, loaded } = await withCrossProcessLoad(
        this.crossProcessLock,
        id,
        release,
        this.lockTimeLeft(lockWaitMs),
        () => this.now(),
      ));
      lockWaitMs += performance.now() - t0;
    } else {
      if (this.crossProcessLock) {
        const t0 = performance.now();
        release = await withCrossProcessLock(
          this.crossProcessLock,
          id,
          release,
          this.lockTimeLeft(lockWaitMs),
        );
        lockWaitMs += performance.now() - t0;
      } else if (!dry) {
        const place = { sessionId: id, turn: turn! };
        return this.loadHeld(id, release, lockWaitMs, fromCookie?.former ?? null, place, queued);
      }
      try {
        loaded = await this.store.load(
          id,
          this.now(),
          this.crossProcessLock?.continues?.(id) === true,
        );
      } catch (err) {
        release();
        throw err;
      }
    }
    // Unknown or expired: ignored, never adopted. A dry run only needs a consistent snapshot.
    if (!loaded || dry) release();
    if (!loaded) return new Ticket(this, null, lockWaitMs, dry, null);
    const ticket = new Ticket(
      this,
      loaded,
      lockWaitMs,
      dry,
      dry ? null : release,
      fromCookie?.former,
    );
    ticket.queued = queued;
    return ticket;
  }

  /**
   * Queues a request directly behind `prev`, a request of the same session, when nothing else
   * waits in between. Its ticket then holds the session as `prev` leaves it, handed on without
   * a second load (`continued`), or as loaded from the store when `prev` could not hand it on (a
   * failed commit) or left the queue. Null when it cannot follow `prev`: the cookie names
   * another session, another request or Studio waits behind `prev`, or other processes share
   * the store (their requests may come in between).
   */
  follow(prev: SessionPlace, cookie: CookieSession): FollowingTurn | null {
    const id = cookie.id;
    if (id === null || id !== prev.sessionId || this.crossProcessLock) return null;
    if (this.locks.tail(id) !== prev.turn) return null;
    this.sweeps.maybe(this.opts.collectionProbability);
    const timeoutMs = this.opts.lockTimeout * 1000;
    const t0 = performance.now();
    const deadline = Date.now() + timeoutMs;
    // The worker that runs it refuses to start it past the deadline; the lock waits a little
    // longer, so that a request is never answered 503 while its worker may still start it.
    const { turn, granted } = this.locks.acquireTurn(id, timeoutMs + FOLLOW_GRACE_MS);
    const place: SessionPlace = { sessionId: id, turn };
    const former = cookie.former;
    const ticket = granted.then((g) => {
      const waited = performance.now() - t0;
      if (g.from === prev.turn && g.handoff) {
        const t = new Ticket(this, g.handoff, waited, false, g.release, former, place);
        t.queued = true;
        t.continued = true;
        return t;
      }
      return this.loadHeld(id, g.release, waited, former, place, true);
    });
    return { place, ticket, deadline };
  }

  /** The ticket of a request that holds the lock of session `id` (in this process only). */
  private async loadHeld(
    id: string,
    release: Release,
    lockWaitMs: number,
    former: string | null,
    place: SessionPlace,
    queued: boolean,
  ): Promise<SessionTicket> {
    let loaded;
    try {
      loaded = await this.store.load(id, this.now());
    } catch (err) {
      release();
      throw err;
    }
    // Unknown or expired: ignored, never adopted.
    if (!loaded) {
      release();
      return new Ticket(this, null, lockWaitMs, false, null);
    }
    const ticket = new Ticket(this, loaded, lockWaitMs, false, release, former, place);
    ticket.queued = queued;
    return ticket;
  }

  /** A session held as a request holds it (Studio's edits): in this process and, on a shared store, in every other. */
  async lockSession(id: string): Promise<Release> {
    const t0 = performance.now();
    const local = await this.locks.acquire(id);
    if (!this.crossProcessLock) return local;
    return withCrossProcessLock(
      this.crossProcessLock,
      id,
      local,
      this.lockTimeLeft(performance.now() - t0),
    );
  }

  /** What is left of LockTimeout, for the other processes' lock, after `waitedMs` in this one. */
  private lockTimeLeft(waitedMs: number): number {
    return Math.max(this.opts.lockTimeout * 1000 - waitedMs, 0);
  }

  /**
   * `open` for a request whose cookies name no session (not a dry run): there is nothing to lock
   * or load, so the ticket is made at once, without a promise. Null when they name one: that
   * request goes through `open({ cookie })`.
   */
  openWithoutCookie(cookie: CookieSession): SessionTicket | null {
    if (cookie.id !== null) return null;
    this.sweeps.maybe(this.opts.collectionProbability);
    return new Ticket(this, null, 0, false, null);
  }

  /** Removes expired sessions now (also run at random off the request path). */
  async sweep(): Promise<number> {
    const n = await this.store.sweep(this.now());
    return n;
  }

  /** @internal */
  emitChanged(id: string, version: number | null, namespaces: string[], renamedTo?: string): void {
    this.events?.emit('sessionChanged', {
      id,
      version,
      namespaces,
      by: 'request',
      ...(renamedTo ? { renamedTo } : {}),
    });
  }
}

/**
 * How much longer than LockTimeout a following request's lock waits: its worker refuses to start
 * it past LockTimeout, and the refusal must reach Node before the request is answered 503.
 */
const FOLLOW_GRACE_MS = 500;

class Ticket implements SessionTicket {
  readonly session: SessionInput | null;
  queued = false;
  continued = false;
  private readonly started = performance.now();
  /** the state as committed so far (after the last save) — what a failure returns to */
  private state: HeldSession | null;
  private readonly saves: SavePoint[] = [];
  private readonly changes = new Map<string, NamespaceChange>();
  private readonly pickles: SessionTrace['pickles'] = new Map();
  private setCookie: string[] | undefined;
  private finished = false;
  private idRetired = false;

  constructor(
    private readonly m: SessionManager,
    loaded: HeldSession | null,
    readonly lockWaitMs: number,
    readonly dry: boolean,
    private release: Release | null,
    /** the cookie came under a name pse.conf no longer uses: it is re-sent under the new one */
    private readonly formerCookie: string | null = null,
    readonly place: SessionPlace | null = null,
  ) {
    this.state = loaded;
    this.session = loaded ? { id: loaded.id, ns: this.picklesOf(loaded.ns) } : null;
  }

  /**
   * What the worker receives of the namespaces: their pickles, or, for one the store left
   * unread, a reader of it at the version this request holds (it moves with its own saves).
   */
  private picklesOf(ns: ReadonlyMap<string, StoredNamespace>): SessionInput['ns'] {
    const out: SessionInput['ns'] = new Map();
    for (const [name, n] of ns) {
      const unread = n.unread;
      out.set(name, unread ? { size: unread.size, read: () => this.readUnread(unread) } : n.pickle);
    }
    return out;
  }

  /** A namespace's pickle as this request holds the session (read now if the store left it unread). */
  private pickleOf(n: StoredNamespace): Buffer {
    return n.unread ? this.readUnread(n.unread) : n.pickle;
  }

  private readUnread(unread: NonNullable<StoredNamespace['unread']>): Buffer {
    if (!this.state) throw new Error('the session is gone (invalidated by this request)');
    return unread.read(this.state.id, this.state.version);
  }

  async save(s: SessionResult): Promise<void> {
    if (this.finished) throw new Error('session.save() after the request finished');
    const changes = await this.apply(s);
    this.saves.push({ at: Math.round(performance.now() - this.started), changes });
  }

  async finish(outcome: FinishOutcome): Promise<FinishResult> {
    if (this.finished) throw new Error('SessionTicket.finish called twice');
    this.finished = true;
    let settled = false;
    try {
      let discarded: NamespaceChange[] | undefined;
      if (outcome.ok && outcome.session) {
        for (const c of await this.apply(outcome.session)) this.changes.set(c.name, c);
      } else if (!outcome.ok && outcome.session) {
        discarded = discardedChanges(this.state, outcome.session);
      }
      if (this.touches()) await this.touch();
      const out = this.conclude(outcome, discarded);
      settled = true;
      return out;
    } finally {
      // a commit that failed leaves the store's state unknown here: the next one loads it
      this.release?.(settled ? this.handoff() : undefined);
      this.release = null;
    }
  }

  finishAtOnce(outcome: FinishOutcome): FinishResult | null {
    if (this.finished) throw new Error('SessionTicket.finish called twice');
    if (outcome.session || (this.touches() && this.touchDue())) return null;
    this.finished = true;
    try {
      return this.conclude(outcome, undefined);
    } finally {
      this.release?.(this.handoff());
      this.release = null;
    }
  }

  /** The session as this request leaves it, for a request that follows it; none once retired. */
  private handoff(): HeldSession | undefined {
    const state = this.state;
    const place = this.place;
    if (!place || !state || this.idRetired || state.id !== place.sessionId) return undefined;
    return state;
  }

  /** The request changed nothing of a stored session: its expiry may have to slide. */
  private touches(): boolean {
    return (
      !this.dry &&
      this.state !== null &&
      !this.idRetired &&
      !(this.changes.size || this.saves.length)
    );
  }

  /** The end of `finish`, once the session's changes are committed: the cookie and the trace. */
  private conclude(outcome: FinishOutcome, discarded: NamespaceChange[] | undefined): FinishResult {
    if (
      !this.dry &&
      this.state &&
      !this.idRetired &&
      !this.setCookie &&
      (this.m.cookie.expiresMinutes > 0 || this.formerCookie !== null)
    ) {
      // A cookie with a lifetime slides with each access; a renamed one moves to its new name.
      this.setCookie = [sessionSetCookie(this.state.id, this.m.cookie)];
    }
    if (!this.dry && this.formerCookie !== null && this.formerCookie !== this.m.cookie.name) {
      (this.setCookie ??= []).push(
        sessionClearCookie({ ...this.m.cookie, name: this.formerCookie }),
      );
    }
    const saved = this.saves.some((s) => s.changes.length > 0);
    const trace: SessionTrace = {
      sessionId: this.state?.id ?? outcome.session?.id ?? null,
      outcome: outcomeOf(this.dry, outcome.ok, this.changes.size > 0, saved),
      changes: mergeChanges(this.saves, [...this.changes.values()]),
      saves: this.saves,
      pickles: this.pickles,
      ...(discarded?.length ? { discarded } : {}),
    };
    const out: FinishResult = { ...(this.setCookie ? { setCookie: this.setCookie } : {}), trace };
    if (this.dry && (this.changes.size || this.saves.length || this.idRetired)) {
      const state = this.stateNow();
      if (state !== undefined) out.dryState = state;
    }
    return out;
  }

  /**
   * The session as this request holds it now, every namespace read (null: none, or ended);
   * undefined when a namespace the request never read can no longer be (the stored session
   * moved on): the dry run's answer stands, only its state is not handed on.
   */
  private stateNow(): SessionState | null | undefined {
    const state = this.state;
    if (!state) return null;
    const ns: SessionState['ns'] = new Map();
    try {
      for (const [name, n] of state.ns)
        ns.set(name, { pickle: this.pickleOf(n), preview: n.preview });
    } catch {
      return undefined;
    }
    return { id: state.id, ns };
  }

  /** Commits `s` (a save point or the end of a successful request); returns what changed. */
  private async apply(s: SessionResult): Promise<NamespaceChange[]> {
    if (this.idRetired) return [];
    for (const name of [...s.changed.keys(), ...s.deleted]) {
      if (!isNamespaceName(name)) {
        throw new SessionStoreError(`session ${s.id}: bad namespace name '${name}'`, s.id, name);
      }
    }
    const now = this.m.now();
    const state = this.state;
    if (s.invalidated) return this.invalidate();
    const changes = changesOf(state, s).filter((c) => c.before !== null || c.after !== null);
    const deleted = s.deleted.filter((n) => state?.ns.has(n) && !s.changed.has(n));
    const upsert = new Map<string, { pickle: Buffer; preview: PreviewValue }>();
    for (const [name, pickle] of s.changed) {
      upsert.set(name, { pickle, preview: s.previews[name] ?? { t: 'cut' } });
    }
    let id = state?.id ?? null;
    if (upsert.size || deleted.length) {
      if (!state) {
        // A new session: Python made the id; it must have the shape of one of ours.
        if (!isWellFormedSessionId(s.id)) {
          throw new SessionStoreError(`worker reported a malformed new session id '${s.id}'`, s.id);
        }
        id = s.id;
      }
      const sid = id!;
      for (const c of changes) {
        const before = state?.ns.get(c.name);
        this.recordPickles(
          c.name,
          before ? this.pickleOf(before) : null,
          s.changed.get(c.name) ?? null,
        );
      }
      if (!this.dry) {
        const r = await this.m.store.commit({
          id: sid,
          now,
          expires: this.m.expiresAt(now),
          ...(state ? { expectVersion: state.version } : { create: true }),
          upsert,
          delete: deleted,
        });
        for (const c of changes) {
          const v = r.versions.get(c.name);
          if (v !== undefined) c.version = v;
        }
        this.m.emitChanged(
          sid,
          r.version,
          changes.map((c) => c.name),
        );
        this.state = nextState(state, sid, r.version, now, upsert, deleted, r.versions);
        if (!state) this.setCookie = [sessionSetCookie(sid, this.m.cookie)];
      } else {
        this.state = nextState(state, sid, state?.version ?? 0, now, upsert, deleted, new Map());
      }
    }
    if (s.regenerated && this.state && !this.dry) {
      const newId = s.regenerated;
      if (!isWellFormedSessionId(newId)) {
        throw new SessionStoreError(
          `worker reported a malformed regenerated id '${newId}'`,
          this.state.id,
        );
      }
      const oldId = this.state.id;
      await this.m.store.rename(oldId, newId, now, this.m.expiresAt(now));
      this.state = { ...this.state, id: newId, version: this.state.version + 1 };
      this.setCookie = [sessionSetCookie(newId, this.m.cookie)];
      this.m.emitChanged(oldId, null, [], newId);
    }
    return changes;
  }

  private async invalidate(): Promise<NamespaceChange[]> {
    const state = this.state;
    const changes: NamespaceChange[] = [];
    if (state) {
      for (const [name, n] of state.ns) {
        changes.push(namespaceChange(name, n.preview, null));
        this.recordPickles(name, this.pickleOf(n), null);
      }
      if (!this.dry) {
        await this.m.store.delete(state.id);
        this.m.emitChanged(state.id, null, [...state.ns.keys()]);
        this.setCookie = [sessionClearCookie(this.m.cookie)];
      }
    }
    this.idRetired = true;
    this.state = null;
    return changes;
  }

  private recordPickles(name: string, before: Buffer | null, after: Buffer | null): void {
    const p = this.pickles.get(name);
    if (p) p.after = after;
    else this.pickles.set(name, { before, after });
  }

  private async touch(): Promise<void> {
    if (!this.touchDue()) return;
    const now = this.m.now();
    try {
      await this.m.store.touch(this.state!.id, now, this.m.expiresAt(now));
    } catch (err) {
      // A read is not failed for its expiry: the next read of the session writes it.
      if (!(err instanceof StoreUnavailableError)) throw err;
    }
  }

  private touchDue(): boolean {
    return this.m.now() - this.state!.accessed >= this.m.touchEveryMs();
  }
}
