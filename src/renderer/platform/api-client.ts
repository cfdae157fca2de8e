/** Connects the renderer to the Studio API, whichever transport this window has. */
import { toService, type ApiClient } from '../../common/rpc.js';
import { bridgeTransport, desktopBridge, webSocketTransport } from './transport.js';

export async function connectApi(): Promise<ApiClient> {
  const bridge = desktopBridge();
  const transport = bridge ? bridgeTransport(bridge) : await webSocketTransport(window.location);
  return toService(transport);
}
