/**
 * One RPC envelope over any transport that carries strings (Electron IPC, WebSocket, an
 * in-memory pair in tests). `serveApi` is the fromService side: it validates every call against
 * API_ARGS before the service sees it, and answers anything malformed with an error reply.
 * `toService` is the typed proxy the renderer uses.
 */
import type { CommandName, Disposable, EventName, StudioApi } from './api.js';
import { API_ARGS, COMMAND_NAMES, EVENT_NAMES, isCommandName, isEventName } from './api-schema.js';
import { check } from './schema.js';

export interface Transport {
  send(message: string): void;
  onMessage(listener: (message: string) => void): Disposable;
  /** called once when the other end goes away */
  onClose?(listener: () => void): Disposable;
}

/** Error data as it travels: name, message, and the location fields when there are any. */
export interface RpcErrorData {
  name: string;
  message: string;
  code?: 'bad-message' | 'unknown-method' | 'bad-argument' | 'failed' | 'closed';
  file?: string;
  line?: number;
  col?: number;
  stage?: string;
}

export type Envelope =
  | { k: 'req'; id: number; m: string; a: unknown[] }
  | { k: 'cancel'; id: number }
  | { k: 'sub'; id: number; e: string }
  | { k: 'unsub'; id: number }
  | { k: 'res'; id: number; v: unknown }
  | { k: 'err'; id: number; e: RpcErrorData }
  | { k: 'evt'; id: number; v: unknown };

/** An error reply, rethrown on the calling side with its location fields. */
export class RpcError extends Error {
  readonly code: RpcErrorData['code'];
  readonly file?: string;
  readonly line?: number;
  readonly col?: number;
  readonly stage?: string;
  constructor(data: RpcErrorData) {
    super(data.message);
    this.name = data.name || 'Error';
    this.code = data.code;
    if (data.file !== undefined) this.file = data.file;
    if (data.line !== undefined) this.line = data.line;
    if (data.col !== undefined) this.col = data.col;
    if (data.stage !== undefined) this.stage = data.stage;
  }
}

function toErrorData(err: unknown, code: RpcErrorData['code']): RpcErrorData {
  if (err instanceof Error || (typeof err === 'object' && err !== null)) {
    const e = err as Record<string, unknown>;
    const data: RpcErrorData = {
      name: typeof e.name === 'string' ? e.name : 'Error',
      message: typeof e.message === 'string' ? e.message : String(err),
      code,
    };
    if (typeof e.file === 'string') data.file = e.file;
    if (typeof e.line === 'number') data.line = e.line;
    if (typeof e.col === 'number') data.col = e.col;
    if (typeof e.stage === 'string') data.stage = e.stage;
    return data;
  }
  return { name: 'Error', message: String(err), code };
}

const MAX_MESSAGE = 32 * 1024 * 1024;

/** Parses one incoming message as a request-side envelope, or says what is wrong with it. */
function parseRequest(raw: string): Envelope | string {
  if (typeof raw !== 'string') return 'message is not text';
  if (raw.length > MAX_MESSAGE) return `message longer than ${MAX_MESSAGE} characters`;
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch (err) {
    return `message is not JSON: ${(err as Error).message}`;
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg))
    return 'message is not an object';
  const m = msg as Record<string, unknown>;
  if (typeof m.id !== 'number' || !Number.isSafeInteger(m.id) || m.id < 0)
    return 'message.id: expected an integer ≥ 0';
  switch (m.k) {
    case 'req':
      if (typeof m.m !== 'string') return 'message.m: expected a method name';
      if (!Array.isArray(m.a)) return 'message.a: expected an argument array';
      return { k: 'req', id: m.id, m: m.m, a: m.a };
    case 'sub':
      if (typeof m.e !== 'string') return 'message.e: expected an event name';
      return { k: 'sub', id: m.id, e: m.e };
    case 'cancel':
    case 'unsub':
      return { k: m.k, id: m.id };
    default:
      return `message.k: expected req, cancel, sub or unsub, got ${JSON.stringify(m.k)}`;
  }
}

export interface ServerOptions {
  /** called for a message that was rejected (for the log); the connection stays up */
  onRejected?: (reason: string) => void;
}

/**
 * Serves `service` on `transport`: the fromService side. Returns a Disposable that drops every
 * subscription (also done when the transport closes).
 */
export function serveApi(
  service: StudioApi,
  transport: Transport,
  options: ServerOptions = {},
): Disposable {
  const subscriptions = new Map<number, Disposable>();
  const cancelled = new Set<number>();
  let closed = false;
  const send = (env: Envelope): void => {
    if (closed) return;
    try {
      transport.send(JSON.stringify(env));
    } catch {
      // The transport died under us; its close handler cleans up.
    }
  };
  const reject = (id: number, message: string, code: RpcErrorData['code']): void => {
    options.onRejected?.(message);
    send({ k: 'err', id, e: { name: 'RpcError', message, code } });
  };

  const onRequest = async (id: number, method: string, args: unknown[]): Promise<void> => {
    if (!isCommandName(method)) return reject(id, `unknown method '${method}'`, 'unknown-method');
    const schemas = API_ARGS[method];
    if (args.length !== schemas.length)
      return reject(
        id,
        `${method}: expected ${schemas.length} argument(s), got ${args.length}`,
        'bad-argument',
      );
    for (let i = 0; i < schemas.length; i++) {
      const problem = check(schemas[i]!, args[i], `${method}: argument ${i + 1}`);
      if (problem) return reject(id, problem, 'bad-argument');
    }
    try {
      const fn = service[method] as (...a: unknown[]) => Promise<unknown>;
      const value = await fn.apply(service, args);
      if (cancelled.delete(id)) return;
      send({ k: 'res', id, v: value ?? null });
    } catch (err) {
      if (cancelled.delete(id)) return;
      send({ k: 'err', id, e: toErrorData(err, 'failed') });
    }
  };

  const listener = transport.onMessage((raw) => {
    const env = parseRequest(raw);
    if (typeof env === 'string') {
      // A message we cannot even read has no usable id; answer on id -1 so the peer can log it.
      return reject(-1, `bad message: ${env}`, 'bad-message');
    }
    switch (env.k) {
      case 'req':
        void onRequest(env.id, env.m, env.a);
        return;
      case 'cancel':
        cancelled.add(env.id);
        return;
      case 'sub': {
        if (!isEventName(env.e))
          return reject(env.id, `unknown event '${env.e}'`, 'unknown-method');
        if (subscriptions.has(env.id))
          return reject(env.id, `subscription ${env.id} exists`, 'bad-message');
        const event = service[env.e] as (l: (v: unknown) => void) => Disposable;
        subscriptions.set(
          env.id,
          event.call(service, (v: unknown) => send({ k: 'evt', id: env.id, v })),
        );
        return;
      }
      case 'unsub':
        subscriptions.get(env.id)?.dispose();
        subscriptions.delete(env.id);
        return;
      default:
        return;
    }
  });

  const dispose = (): void => {
    if (closed) return;
    closed = true;
    listener.dispose();
    for (const sub of subscriptions.values()) sub.dispose();
    subscriptions.clear();
  };
  transport.onClose?.(dispose);
  return { dispose };
}

export type ApiClient = StudioApi & {
  /** rejects every pending call and stops listening */
  dispose(): void;
};

/** The toService side: a typed StudioApi whose calls and events travel over `transport`. */
export function toService(transport: Transport): ApiClient {
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const listeners = new Map<number, (v: unknown) => void>();
  let closed = false;

  const failAll = (message: string): void => {
    closed = true;
    for (const p of pending.values())
      p.reject(new RpcError({ name: 'RpcError', message, code: 'closed' }));
    pending.clear();
    listeners.clear();
  };

  const messageSub = transport.onMessage((raw) => {
    let env: Envelope;
    try {
      env = JSON.parse(raw) as Envelope;
    } catch {
      return;
    }
    if (env.k === 'res' || env.k === 'err') {
      const p = pending.get(env.id);
      if (!p) {
        if (env.k === 'err' && env.id === -1) console.warn(`studio rpc: ${env.e.message}`);
        return;
      }
      pending.delete(env.id);
      if (env.k === 'res') p.resolve(env.v);
      else p.reject(new RpcError(env.e));
    } else if (env.k === 'evt') {
      listeners.get(env.id)?.(env.v);
    }
  });
  transport.onClose?.(() => failAll('the Studio connection closed'));

  const send = (env: Envelope): void => transport.send(JSON.stringify(env));

  const call = (method: CommandName, args: unknown[]): Promise<unknown> => {
    if (closed)
      return Promise.reject(
        new RpcError({ name: 'RpcError', message: 'the Studio connection closed', code: 'closed' }),
      );
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        send({ k: 'req', id, m: method, a: args });
      } catch (err) {
        pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  };

  const subscribe = (event: EventName, listener: (v: unknown) => void): Disposable => {
    const id = nextId++;
    listeners.set(id, listener);
    if (!closed) send({ k: 'sub', id, e: event });
    return {
      dispose: () => {
        if (!listeners.delete(id) || closed) return;
        send({ k: 'unsub', id });
      },
    };
  };

  const client: Record<string, unknown> = {};
  for (const name of COMMAND_NAMES) client[name] = (...args: unknown[]) => call(name, args);
  for (const name of EVENT_NAMES)
    client[name] = (listener: (v: unknown) => void) => subscribe(name, listener);
  client.dispose = () => {
    messageSub.dispose();
    failAll('the Studio client was disposed');
  };
  return client as unknown as ApiClient;
}

/** Two connected in-memory transports (tests; same-process use). Delivery is asynchronous. */
export function createTransportPair(): [
  Transport & { close(): void },
  Transport & { close(): void },
] {
  const make = () => ({
    listeners: new Set<(m: string) => void>(),
    closers: new Set<() => void>(),
  });
  const a = make();
  const b = make();
  let closed = false;
  const end = (self: ReturnType<typeof make>, other: ReturnType<typeof make>) => ({
    send(message: string) {
      if (closed) throw new Error('transport closed');
      queueMicrotask(() => {
        for (const l of other.listeners) l(message);
      });
    },
    onMessage(listener: (m: string) => void): Disposable {
      self.listeners.add(listener);
      return { dispose: () => self.listeners.delete(listener) };
    },
    onClose(listener: () => void): Disposable {
      self.closers.add(listener);
      return { dispose: () => self.closers.delete(listener) };
    },
    close() {
      if (closed) return;
      closed = true;
      for (const c of [...a.closers, ...b.closers]) c();
    },
  });
  return [end(a, b), end(b, a)];
}
