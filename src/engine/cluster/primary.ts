/**
 * The primary of `pse serve --instances N`: it serves nothing itself; it starts N engine
 * processes (node:cluster workers, each with its own CPython worker pool) that share the port,
 * and supervises them like gunicorn's arbiter: an instance that dies is replaced while the
 * others keep serving; SIGINT or SIGTERM stops them all gracefully (each finishes the requests
 * it has, then exits; one that takes longer than the stop timeout is killed).
 *
 * This process listens and deals the connections to the instances in turn (dealer.ts): evenly,
 * where the kernel's own choice can leave most connections on a few instances, and once per
 * keep-alive connection, not per request (docs/deployment.md has the measurements).
 */
import cluster, { type Worker } from 'node:cluster';
import { ConnectionDealer } from './dealer.js';
import { ADDRESS_ENV, INSTANCE_ENV, isReady, type StopMessage } from './messages.js';

export interface PrimaryOptions {
  instances: number;
  /** where this process listens for the instances; port 0: a free port */
  port: number;
  host: string;
  /** the application, for messages */
  appRoot: string;
  /** console lines: the serving line and the stop line */
  out: (line: string) => void;
  /** console lines: instances that died and their replacements */
  err: (line: string) => void;
  /** ms an instance may take to stop before it is killed; default 30 s */
  stopTimeoutMs?: number;
}

/** A replacement that keeps dying before it serves is retried this often, then the cluster stops. */
const MAX_BOOT_FAILURES = 5;
const BACKOFF_MS = 250;
const BACKOFF_MAX_MS = 10_000;

interface Slot {
  n: number;
  worker: Worker | null;
  ready: boolean;
  /** replacements in a row that died before serving */
  failures: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Runs the cluster until a signal stops it; resolves with the exit code for `pse serve`.
 * Rejects when the port cannot be listened on.
 */
export async function runPrimary(o: PrimaryOptions): Promise<number> {
  const dealer = new ConnectionDealer();
  const address = await dealer.listen(o.port, o.host);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shown}:${address.port}/`;
  const slots: Slot[] = Array.from({ length: o.instances }, (_, i) => ({
    n: i + 1,
    worker: null,
    ready: false,
    failures: 0,
    timer: null,
  }));
  let serving = false;
  let stopping = false;
  let exitCode = 0;

  return new Promise<number>((resolve) => {
    const finishIfDone = (): void => {
      if (stopping && slots.every((s) => s.worker === null)) {
        dealer.close();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        resolve(exitCode);
      }
    };

    const stop = (code: number): void => {
      if (stopping) return;
      stopping = true;
      exitCode = code;
      // No new connection is taken; the instances finish the ones they have.
      dealer.close();
      const msg: StopMessage = { pse: 'stop' };
      for (const s of slots) {
        if (s.timer) clearTimeout(s.timer);
        s.timer = null;
        const w = s.worker;
        if (!w) continue;
        // One still starting may not listen to its channel yet (a message then is lost): a
        // signal reaches it whatever it is doing, and stops it before or after it serves.
        if (s.ready && w.isConnected()) w.send(msg, undefined, () => undefined);
        else w.process.kill('SIGTERM');
        const kill = setTimeout(() => w.process.kill('SIGKILL'), o.stopTimeoutMs ?? 30_000);
        kill.unref();
        w.once('exit', () => clearTimeout(kill));
      }
      finishIfDone();
    };

    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) return;
      o.out(`PSE stopping (${signal})`);
      stop(0);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    const start = (s: Slot): void => {
      s.timer = null;
      s.ready = false;
      const w = cluster.fork({
        [INSTANCE_ENV]: String(s.n),
        [ADDRESS_ENV]: `${address.address} ${address.port}`,
      });
      s.worker = w;
      w.on('message', (m: unknown) => {
        if (!isReady(m) || s.worker !== w) return;
        s.ready = true;
        s.failures = 0;
        dealer.add(w);
        if (serving) {
          o.err(`pse: instance ${s.n} serving again (pid ${w.process.pid})`);
        } else if (slots.every((x) => x.ready)) {
          serving = true;
          o.out(`PSE serving ${o.appRoot} at ${url} (${o.instances} instances)`);
        }
      });
      // The channel closes as the process dies, often before its exit is reported.
      w.once('disconnect', () => dealer.remove(w));
      w.once('exit', (code, signal) => {
        dealer.remove(w);
        if (s.worker !== w) return;
        s.worker = null;
        const how = signal ? `killed by ${signal}` : `exit code ${code}`;
        if (stopping) return finishIfDone();
        if (!serving) {
          // At start an instance that cannot serve (a broken pse.conf, a busy port) will not
          // do better on a retry: it said why on stderr; stop the others.
          o.err(`pse: instance ${s.n} stopped before serving (${how})`);
          return stop(typeof code === 'number' && code !== 0 ? code : 1);
        }
        if (!s.ready) s.failures++;
        if (s.failures >= MAX_BOOT_FAILURES) {
          o.err(
            `pse: instance ${s.n} stopped before serving ${s.failures} times in a row (${how}); stopping`,
          );
          return stop(1);
        }
        const delay = s.failures ? Math.min(BACKOFF_MS * 2 ** (s.failures - 1), BACKOFF_MAX_MS) : 0;
        o.err(
          `pse: instance ${s.n} (pid ${w.process.pid}) stopped (${how}); starting a new one${
            delay ? ` in ${delay} ms` : ''
          }`,
        );
        s.timer = setTimeout(() => start(s), delay);
      });
    };

    for (const s of slots) start(s);
  });
}
