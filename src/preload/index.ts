/**
 * The preload: one narrow bridge (`window.pseBridge`) over contextBridge. Every call checks the
 * channel against the `pse:` whitelist; main validates the sender again on its side.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_GLOBAL, isChannel, type ChannelName, type PseBridge } from '../common/desktop.js';

function checked(channel: unknown): ChannelName {
  if (!isChannel(channel)) throw new Error(`pseBridge: channel ${String(channel)} is not allowed`);
  return channel;
}

const bridge: PseBridge = {
  send(channel, message) {
    if (typeof message !== 'string') throw new Error('pseBridge.send: message must be a string');
    ipcRenderer.send(checked(channel), message);
  },
  on(channel, listener) {
    const name = checked(channel);
    // Never hand the renderer the IpcRendererEvent: it exposes `sender`.
    const handler = (_e: IpcRendererEvent, message: unknown): void => {
      if (typeof message === 'string') listener(message);
    };
    ipcRenderer.on(name, handler);
    return () => {
      ipcRenderer.off(name, handler);
    };
  },
};

contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, bridge);
