/**
 * One engine process of `pse serve --instances N` (a node:cluster worker): it starts its
 * server, which listens on nothing itself but serves the connections the primary accepts and
 * deals to it, tells the primary it serves, and stops gracefully when the primary says so, on
 * SIGTERM, or when the primary is gone (its IPC channel closed). SIGINT is the primary's to
 * relay: a Ctrl-C in a terminal reaches every process of the group, and the primary stops them
 * in order.
 */
import cluster from 'node:cluster';
import type { Socket } from 'node:net';
import {
  ADDRESS_ENV,
  INSTANCE_ENV,
  isConn,
  isStop,
  type ReadyMessage,
  type TookMessage,
} from './messages.js';

export interface InstanceServer {
  /** serves one connection the primary dealt */
  accept(socket: Socket): void;
  close(): Promise<void>;
}

/** True in a process the primary started as one of its instances. */
export function isInstance(): boolean {
  return cluster.isWorker;
}

/** This instance's number (1…N), for log lines. */
export function instanceNumber(): number {
  return Number(process.env[INSTANCE_ENV] ?? '0');
}

/**
 * Starts the server and serves until told to stop; resolves with the exit code. A server that
 * fails to start rejects: the caller reports why and exits non-zero (the primary sees it).
 */
export async function runInstance(start: () => Promise<InstanceServer>): Promise<number> {
  // Ignored from now on, also while starting: the primary decides when the group stops.
  process.on('SIGINT', () => undefined);
  // Listening before the server starts: a stop that arrives while it boots is not lost.
  let stopRequested = false;
  let onStop: (() => void) | null = null;
  const requestStop = (): void => {
    stopRequested = true;
    onStop?.();
  };
  let server: InstanceServer | null = null;
  process.on('message', (m: unknown, handle: unknown) => {
    if (isStop(m)) return requestStop();
    if (!isConn(m)) return;
    // Acknowledged before a byte is read: until then the primary may deal it to another.
    const took: TookMessage = { pse: 'took', id: m.id };
    process.send?.(took);
    const socket = handle as Socket | undefined;
    if (!socket) return;
    if (server && !stopRequested) server.accept(socket);
    else socket.destroy();
  });
  process.once('disconnect', requestStop);
  process.once('SIGTERM', requestStop);
  server = await start();
  if (!stopRequested) {
    const ready: ReadyMessage = { pse: 'ready' };
    process.send?.(ready);
  }
  const running = server;
  return new Promise<number>((resolve) => {
    onStop = () => {
      onStop = null;
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(
            `pse: instance ${instanceNumber()}: stopping: ${err instanceof Error ? err.message : String(err)}\n`,
          );
          resolve(1);
        },
      );
    };
    if (stopRequested) onStop();
  });
}

/** Where the primary listens: an instance serves its connections as if it listened there. */
export function instanceAddress(): { host: string; port: number } {
  const [host = '', port = ''] = (process.env[ADDRESS_ENV] ?? '').split(' ');
  if (!host || !/^\d+$/.test(port))
    throw new Error(
      `not started by a pse serve primary (${ADDRESS_ENV} is '${process.env[ADDRESS_ENV] ?? ''}')`,
    );
  return { host, port: Number(port) };
}

/**
 * Ends the IPC channel once the instance has stopped, so the process can exit with its own
 * code (a channel that closes otherwise makes node:cluster exit the process with 0).
 */
export function leaveCluster(): void {
  if (cluster.worker?.isConnected()) cluster.worker.disconnect();
}
