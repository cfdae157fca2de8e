/** What the primary and its instances tell each other over the cluster's IPC channel. */

/** instance → primary: it has started and takes connections */
export interface ReadyMessage {
  pse: 'ready';
}

/** primary → instance: finish the requests in progress, then exit */
export interface StopMessage {
  pse: 'stop';
}

/** primary → instance, with a connection's socket: serve it, and acknowledge it first */
export interface ConnMessage {
  pse: 'conn';
  id: number;
}

/** instance → primary: it has taken connection `id` (the primary closes its own copy) */
export interface TookMessage {
  pse: 'took';
  id: number;
}

export function isReady(m: unknown): m is ReadyMessage {
  return (m as ReadyMessage | null)?.pse === 'ready';
}

export function isStop(m: unknown): m is StopMessage {
  return (m as StopMessage | null)?.pse === 'stop';
}

export function isConn(m: unknown): m is ConnMessage {
  return (m as ConnMessage | null)?.pse === 'conn' && typeof (m as ConnMessage).id === 'number';
}

export function isTook(m: unknown): m is TookMessage {
  return (m as TookMessage | null)?.pse === 'took' && typeof (m as TookMessage).id === 'number';
}

/** The instance's number (1…N), given to it in its environment. */
export const INSTANCE_ENV = 'PSE_INSTANCE';

/** The address the primary listens on, `host port`: the instances serve as if they listened there. */
export const ADDRESS_ENV = 'PSE_INSTANCE_ADDRESS';
