/** The RPC transport over one `ws` WebSocket (server side of browser mode). */
import type { WebSocket } from 'ws';
import type { Disposable } from '../../common/api.js';
import type { Transport } from '../../common/rpc.js';

export function wsTransport(socket: WebSocket): Transport {
  return {
    send(message) {
      if (socket.readyState === socket.OPEN) socket.send(message);
    },
    onMessage(listener): Disposable {
      const handler = (data: unknown, isBinary: boolean): void => {
        // Binary frames are not part of the protocol: hand over text so the server rejects it.
        listener(isBinary ? '\u0000binary frame' : String(data));
      };
      socket.on('message', handler);
      return { dispose: () => socket.off('message', handler) };
    },
    onClose(listener): Disposable {
      socket.once('close', listener);
      return { dispose: () => socket.off('close', listener) };
    },
  };
}
