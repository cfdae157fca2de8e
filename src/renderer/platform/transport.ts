/**
 * The two transports the renderer can talk through: the preload bridge (desktop) or a WebSocket
 * with the launch token (browser mode). Both become the same `Transport`.
 */
import type { Disposable } from '../../common/api.js';
import { BRIDGE_GLOBAL, Channel, type PseBridge } from '../../common/desktop.js';
import type { Transport } from '../../common/rpc.js';

export function desktopBridge(): PseBridge | undefined {
  return (window as unknown as Record<string, PseBridge | undefined>)[BRIDGE_GLOBAL];
}

export function bridgeTransport(bridge: PseBridge): Transport {
  const transport: Transport = {
    send: (message) => bridge.send(Channel.rpc, message),
    onMessage(listener): Disposable {
      return { dispose: bridge.on(Channel.rpc, listener) };
    },
  };
  bridge.send(Channel.hello, '');
  return transport;
}

/** Opens the Studio WebSocket; the token comes from the page URL (`?token=`). */
export function webSocketTransport(location: Location): Promise<Transport> {
  const token = new URLSearchParams(location.search).get('token');
  if (!token)
    return Promise.reject(
      new Error('This page needs the ?token= of the URL that `pse studio --web` printed.'),
    );
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api?token=${encodeURIComponent(token)}`;
  const socket = new WebSocket(url);
  return new Promise((resolve, reject) => {
    socket.addEventListener(
      'error',
      () =>
        reject(
          new Error(
            `Cannot connect to the Studio at ${location.host}: is \`pse studio --web\` still running, and is the token right?`,
          ),
        ),
      { once: true },
    );
    socket.addEventListener(
      'open',
      () => {
        resolve({
          send: (message) => socket.send(message),
          onMessage(listener): Disposable {
            const handler = (e: MessageEvent): void => listener(String(e.data));
            socket.addEventListener('message', handler);
            return { dispose: () => socket.removeEventListener('message', handler) };
          },
          onClose(listener): Disposable {
            socket.addEventListener('close', listener);
            return { dispose: () => socket.removeEventListener('close', listener) };
          },
        });
      },
      { once: true },
    );
  });
}
