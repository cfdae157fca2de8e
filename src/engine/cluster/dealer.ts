/**
 * The primary's listening socket and the dealing of its connections to the instances, in turn.
 *
 * node:cluster's own round robin loses a connection for good when the instance it was just
 * handed to dies before taking it (kill -9, a crash): the primary keeps the socket open and
 * never answers nor closes it, so the client hangs until its own timeout. Here an instance
 * acknowledges every connection it takes; until it does, the primary keeps its copy of the
 * socket (never read: `pauseOnConnect`) and deals it again to another instance if that one
 * dies, so a client connecting while an instance is killed is served by the next one.
 */
import type { Worker } from 'node:cluster';
import net from 'node:net';
import { isTook, type ConnMessage } from './messages.js';

/** Connections accepted while no instance is ready wait, up to this many (the oldest go first). */
const MAX_WAITING = 4096;

interface Dealt {
  socket: net.Socket;
  worker: Worker;
}

export class ConnectionDealer {
  private readonly server = net.createServer({ pauseOnConnect: true }, (s) => this.deal(s));
  /** the instances that take connections, in dealing order */
  private readonly ready: Worker[] = [];
  private next = 0;
  /** sent, not yet acknowledged: id → the socket and the instance it went to */
  private readonly dealt = new Map<number, Dealt>();
  private readonly waiting: net.Socket[] = [];
  private seq = 0;
  private closed = false;

  constructor() {
    // A connection reset before it was dealt is simply dropped.
    this.server.on('error', () => undefined);
  }

  /** Listens; resolves with the address (port 0: a free port), rejects when it cannot. */
  listen(port: number, host: string): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /** `w` takes connections from now on (it said it serves). */
  add(w: Worker): void {
    if (this.closed || this.ready.includes(w)) return;
    this.ready.push(w);
    w.on('message', (m: unknown) => {
      if (!isTook(m)) return;
      const d = this.dealt.get(m.id);
      if (!d) return;
      this.dealt.delete(m.id);
      // The instance has its own descriptor of the connection: closing ours leaves it open.
      d.socket.destroy();
    });
    while (this.waiting.length > 0 && this.ready.length > 0) this.deal(this.waiting.shift()!);
  }

  /** `w` is gone or going: it gets no more connections, and what it did not take is dealt again. */
  remove(w: Worker): void {
    const i = this.ready.indexOf(w);
    if (i >= 0) this.ready.splice(i, 1);
    for (const [id, d] of this.dealt) {
      if (d.worker !== w) continue;
      this.dealt.delete(id);
      this.deal(d.socket);
    }
  }

  /** Stops accepting; connections not taken by an instance yet are closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.server.close();
    this.ready.length = 0;
    for (const s of this.waiting.splice(0)) s.destroy();
    for (const d of this.dealt.values()) d.socket.destroy();
    this.dealt.clear();
  }

  private deal(socket: net.Socket): void {
    if (this.closed || socket.destroyed) {
      socket.destroy();
      return;
    }
    const w = this.pick();
    if (!w) {
      this.waiting.push(socket);
      if (this.waiting.length > MAX_WAITING) this.waiting.shift()!.destroy();
      return;
    }
    const id = ++this.seq;
    this.dealt.set(id, { socket, worker: w });
    const msg: ConnMessage = { pse: 'conn', id };
    const failed = (): void => {
      // The channel is closed: the instance is dying; its exit deals the rest again.
      if (this.dealt.delete(id)) {
        this.remove(w);
        this.deal(socket);
      }
    };
    try {
      w.send(msg, socket, { keepOpen: true }, (err) => err && failed());
    } catch {
      failed();
    }
  }

  private pick(): Worker | null {
    while (this.ready.length > 0) {
      this.next %= this.ready.length;
      const w = this.ready[this.next++]!;
      if (w.isConnected()) return w;
      this.remove(w);
    }
    return null;
  }
}
