/**
 * Session locks across the processes of one machine, for a shared SQLite store: POSIX record
 * locks on `<store>.locks`, taken by a small Python helper (`python/pse_locks.py`) that runs as
 * this process's child, since Node cannot lock files itself. Every process that opens the store
 * (cluster instances, separately started `pse serve` processes, Studio) locks the same file,
 * and the kernel frees a process's locks when it dies: the helper exits when this process's
 * end of its pipe closes, kill -9 included.
 *
 * A session's lock is kept after its request (a lease), so that its next request here takes
 * it without a round trip through the helper: on the development server, whose store Studio
 * shares, that round trip and the helper's work were a fifth of each request's CPU. The helper
 * says when another process waits for a session kept here ("w"); the lease ends then, or once
 * the session's request in flight here has ended, and after KEEP_IDLE_MS without a request.
 *
 * Safety does not rest on the helper alone: a commit still checks the version the request
 * loaded, so a session can never lose an update, only get a conflict, should the helper die
 * while a request holds its lock. A dead helper is replaced on the next acquire.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SessionConfig } from '../config/types.js';
import { PYTHON_DIR } from '../paths.js';
import { privateDir } from '../private-files.js';
import type { SessionLockProvider } from './cross-process-lock.js';
import { LockTimeoutError, type Release } from './locks.js';

export interface FileSessionLocksOptions {
  /** the lock file (created when missing) */
  file: string;
  /** the Python interpreter to run the helper with */
  python: string;
  /** where to report a helper that died (it is replaced on the next acquire); see `reportTo` */
  log?: (message: string) => void;
}

/**
 * The locks of an app's session store when it is a SQLite file that other processes may open
 * too (another server, Studio, `pse run`); null for any other store: none, PostgreSQL (it
 * brings its own), `:memory:`, or a file kept `exclusive` to this process. Started at once, so
 * that the helper boots beside the workers.
 */
export function fileLocksFor(
  session: Pick<SessionConfig, 'enabled' | 'type' | 'file'>,
  exclusive: boolean,
  python: string,
  log?: (message: string) => void,
): FileSessionLocks | null {
  if (!session.enabled || session.type !== 'sqlite' || exclusive || session.file === ':memory:')
    return null;
  return new FileSessionLocks({ file: `${session.file}.locks`, python, ...(log ? { log } : {}) });
}

interface Pending {
  id: string;
  resolve: (r: Release) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
  started: number;
}

/** A session's lock held by this process, in use by a request or kept for the next one. */
interface Lease {
  helper: Helper;
  inUse: boolean;
  /** another process waits for it: let go when the request using it ends */
  wanted: boolean;
  /** performance.now() when its last request ended */
  idleAt: number;
  /** the last acquire took it kept, not from the helper: no other process held it between */
  continued: boolean;
}

const HELPER = path.join(PYTHON_DIR, 'pse_locks.py');
const START_TIMEOUT_MS = 15_000;
/** A kept lock nobody here asked for in this long is let go (the helper stops watching it). */
const KEEP_IDLE_MS = 1000;
/** Past this many leases a lock is let go at the end of its request instead of kept. */
const KEEP_MAX = 1024;

/** One helper process and the requests in flight to it. */
class Helper {
  readonly child: ChildProcess;
  readonly pending = new Map<number, Pending>();
  /** waits cancelled on our side whose answer has not come yet: n → id */
  readonly cancelled = new Map<number, string>();
  alive = true;
  private out = '';
  private flushQueued = false;
  private input = '';

  constructor(
    python: string,
    readonly file: string,
    private readonly onLine: (h: Helper, line: string) => void,
    private readonly onExit: (h: Helper, why: string) => void,
  ) {
    this.child = spawn(python, ['-I', '-S', HELPER, file], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (d: string) => {
      const lines = (this.input + d).split('\n');
      this.input = lines.pop()!;
      for (const line of lines) this.onLine(this, line);
    });
    // A write after the helper died fails with EPIPE: its exit is handled below.
    this.child.stdin!.on('error', () => undefined);
    this.child.once('error', (err) => this.exited(err.message));
    this.child.once('exit', (code, signal) =>
      this.exited(
        `${signal ? `killed by ${signal}` : `exit code ${code}`}${stderr ? `: ${stderr.trim()}` : ''}`,
      ),
    );
  }

  /** Lines written in one event-loop turn go to the helper in one write. */
  send(line: string): void {
    if (!this.alive) return;
    this.out += line + '\n';
    if (this.flushQueued) return;
    this.flushQueued = true;
    process.nextTick(() => {
      this.flushQueued = false;
      const out = this.out;
      this.out = '';
      if (this.alive) this.child.stdin!.write(out);
    });
  }

  stop(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.stdin!.end();
    });
  }

  private exited(why: string): void {
    if (!this.alive) return;
    this.alive = false;
    this.onExit(this, why);
  }
}

export class FileSessionLocks implements SessionLockProvider {
  private helper: Helper | null = null;
  private seq = 0;
  private closed = false;
  private readonly leases = new Map<string, Lease>();
  private sweeper: NodeJS.Timeout | null = null;

  /** Resolves once the helper has the lock file open; rejects, saying why, when it cannot. */
  readonly ready: Promise<void>;

  private log: ((message: string) => void) | undefined;

  /** Starts the helper at once (await `ready` to learn that it runs). */
  constructor(private readonly o: FileSessionLocksOptions) {
    this.log = o.log;
    this.ready = this.start();
    // Awaited by whoever opens the engine; a failure also shows on the first acquire.
    this.ready.catch(() => undefined);
  }

  /** Reports from now on to `log`: locks started before their engine had a log get its log. */
  reportTo(log: (message: string) => void): void {
    this.log = log;
  }

  acquire(id: string, timeoutMs: number): Promise<Release> {
    if (this.closed) return Promise.reject(new Error('session locks: closed'));
    if (/\s/.test(id) || id === '')
      return Promise.reject(new Error(`session locks: bad session id '${id}'`));
    const lease = this.leases.get(id);
    if (lease?.helper.alive) {
      // The engine's own FIFO lock lets one request of a session at a time come here.
      if (lease.inUse)
        return Promise.reject(new Error(`session locks: ${id} is held by this process already`));
      lease.inUse = true;
      lease.continued = true;
      return Promise.resolve(this.releaser(id, lease));
    }
    if (lease) this.leases.delete(id); // its helper died, and the lock with it
    const h = this.helper?.alive ? this.helper : this.spawn();
    const n = ++this.seq;
    return new Promise<Release>((resolve, reject) => {
      const started = performance.now();
      const timer = setTimeout(() => {
        if (!h.pending.delete(n)) return;
        h.cancelled.set(n, id);
        h.send(`c ${n}`);
        reject(new LockTimeoutError(id, performance.now() - started));
      }, timeoutMs);
      h.pending.set(n, { id, resolve, reject, timer, started });
      h.send(`a ${n} ${id}`);
    });
  }

  continues(id: string): boolean {
    const lease = this.leases.get(id);
    return lease !== undefined && lease.continued && lease.helper.alive;
  }

  /** Whether this process holds `id`'s lock, in use or kept (for tests). */
  holds(id: string): boolean {
    return this.leases.get(id)?.helper.alive === true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper) clearTimeout(this.sweeper);
    this.leases.clear();
    const h = this.helper;
    this.helper = null;
    // the helper's exit frees every lock it held
    await h?.stop();
  }

  /** The release of a granted lock: the lease is kept unless it must go now. */
  private releaser(id: string, lease: Lease): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      lease.inUse = false;
      if (lease.wanted || this.closed || this.leases.size > KEEP_MAX) {
        this.letGo(id, lease);
        return;
      }
      lease.idleAt = performance.now();
      this.sweepLater();
    };
  }

  private letGo(id: string, lease: Lease): void {
    if (this.leases.get(id) !== lease) return;
    this.leases.delete(id);
    // A lock held by a helper that died is gone already.
    if (lease.helper.alive) lease.helper.send(`r ${id}`);
  }

  /** Lets go of the leases idle for KEEP_IDLE_MS, now and then while there are any. */
  private sweepLater(): void {
    if (this.sweeper || this.closed) return;
    this.sweeper = setTimeout(() => {
      this.sweeper = null;
      const before = performance.now() - KEEP_IDLE_MS;
      for (const [id, lease] of this.leases)
        if (!lease.inUse && lease.idleAt <= before) this.letGo(id, lease);
      if (this.leases.size > 0) this.sweepLater();
    }, KEEP_IDLE_MS);
    // kept locks never keep the process alive
    this.sweeper.unref();
  }

  private start(): Promise<void> {
    // The folder is made here, not left to the store: the helper boots while the store and the
    // journal open, and on a busy machine it reached its open() before the store's mkdir.
    try {
      privateDir(path.dirname(this.o.file));
    } catch (err) {
      return Promise.reject(
        new Error(
          `session locks: cannot open the session lock file ${this.o.file}: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    }
    const h = this.spawn();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        h.child.kill('SIGKILL');
        reject(
          new Error(
            `session locks: the lock helper did not start within ${START_TIMEOUT_MS / 1000} s`,
          ),
        );
      }, START_TIMEOUT_MS);
      h.child.stdout!.once('data', (d: string) => {
        clearTimeout(timer);
        if (d.startsWith('ready')) resolve();
        else reject(new Error(`session locks: ${d.replace(/^e \d+ /, '').trim()}`));
      });
      h.child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`session locks: the lock helper for ${this.o.file} exited at start`));
      });
    });
  }

  private spawn(): Helper {
    const h = new Helper(
      this.o.python,
      this.o.file,
      (helper, line) => this.answer(helper, line),
      (helper, why) => this.lost(helper, why),
    );
    this.helper = h;
    return h;
  }

  private answer(h: Helper, line: string): void {
    const kind = line[0];
    if (line === 'ready') return;
    if (kind === 'w') {
      // another process waits for a session held here
      const id = line.slice(2);
      const lease = this.leases.get(id);
      if (!lease || lease.helper !== h) return;
      if (lease.inUse) lease.wanted = true;
      else this.letGo(id, lease);
      return;
    }
    const n = Number(line.slice(2, kind === 'e' ? line.indexOf(' ', 2) : undefined));
    if (kind === 'x') {
      h.cancelled.delete(n);
      return;
    }
    const p = h.pending.get(n);
    if (kind === 'g') {
      if (!p) {
        // Granted just as our side gave up waiting: hand it straight back.
        const id = h.cancelled.get(n);
        h.cancelled.delete(n);
        if (id !== undefined) h.send(`r ${id}`);
        return;
      }
      h.pending.delete(n);
      clearTimeout(p.timer);
      const lease: Lease = { helper: h, inUse: true, wanted: false, idleAt: 0, continued: false };
      this.leases.set(p.id, lease);
      p.resolve(this.releaser(p.id, lease));
    } else if (kind === 'e') {
      const message = line.slice(line.indexOf(' ', 2) + 1);
      if (p) {
        h.pending.delete(n);
        clearTimeout(p.timer);
        p.reject(new Error(`session ${p.id}: cannot lock it in ${h.file}: ${message}`));
      } else this.log?.(`session locks: ${message}`);
    }
  }

  private lost(h: Helper, why: string): void {
    if (this.helper === h) this.helper = null;
    for (const [id, lease] of this.leases) if (lease.helper === h) this.leases.delete(id);
    if (this.closed && h.pending.size === 0) return;
    this.log?.(
      `session locks: the lock helper for ${h.file} stopped (${why}); a new one takes over`,
    );
    for (const p of h.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(`session ${p.id}: the lock helper stopped (${why})`));
    }
    h.pending.clear();
  }
}
