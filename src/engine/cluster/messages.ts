/** What the primary and its instances tell each other over the cluster's IPC channel. */

/** instance → primary: it listens (at `url`) and serves */
export interface ReadyMessage {
  pse: 'ready';
  url: string;
}

/** primary → instance: finish the requests in progress, then exit */
export interface StopMessage {
  pse: 'stop';
}

export function isReady(m: unknown): m is ReadyMessage {
  return (m as ReadyMessage | null)?.pse === 'ready' && typeof (m as ReadyMessage).url === 'string';
}

export function isStop(m: unknown): m is StopMessage {
  return (m as StopMessage | null)?.pse === 'stop';
}

/** The instance's number (1…N), given to it in its environment. */
export const INSTANCE_ENV = 'PSE_INSTANCE';

/** The port every instance listens on (the primary turns `--port 0` into a free one). */
export const PORT_ENV = 'PSE_INSTANCE_PORT';
