/**
 * One engine process of `pse serve --instances N` (a node:cluster worker): it starts its
 * server (its `listen` goes through the primary, which shares one port among the instances),
 * tells the primary it serves, and stops gracefully when the primary says so, on SIGTERM, or
 * when the primary is gone (its IPC channel closed). SIGINT is the primary's to relay: a
 * Ctrl-C in a terminal reaches every process of the group, and the primary stops them in order.
 */
import cluster from 'node:cluster';
import { INSTANCE_ENV, isStop, PORT_ENV, type ReadyMessage } from './messages.js';

export interface InstanceServer {
  url: string;
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
  process.on('message', (m: unknown) => isStop(m) && requestStop());
  process.once('disconnect', requestStop);
  process.once('SIGTERM', requestStop);
  const server = await start();
  if (!stopRequested) {
    const ready: ReadyMessage = { pse: 'ready', url: server.url };
    process.send?.(ready);
  }
  return new Promise<number>((resolve) => {
    onStop = () => {
      onStop = null;
      server.close().then(
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

/** The port an instance listens on: the one its primary chose for the whole cluster. */
export function instancePort(requested: number): number {
  const port = Number(process.env[PORT_ENV]);
  return Number.isInteger(port) && port > 0 ? port : requested;
}

/**
 * Ends the IPC channel once the instance has stopped, so the process can exit with its own
 * code (a channel that closes otherwise makes node:cluster exit the process with 0).
 */
export function leaveCluster(): void {
  if (cluster.worker?.isConnected()) cluster.worker.disconnect();
}
