/**
 * Validated IPC (VS Code's validatedIpcMain): a message is accepted only on a known `pse:`
 * channel, from the main frame of the Studio window, loaded from the Studio's own renderer.
 */
import { ipcMain, type IpcMainEvent, type WebContents } from 'electron';
import type { Disposable } from '../../common/api.js';
import { Channel, isChannel, type ChannelName } from '../../common/desktop.js';
import type { Transport } from '../../common/rpc.js';

export type TrustedUrl = (url: string) => boolean;

function trusted(event: IpcMainEvent, contents: WebContents, isTrustedUrl: TrustedUrl): boolean {
  if (event.sender.id !== contents.id) return false;
  const frame = event.senderFrame;
  // Only the top frame: a previewed page lives in a (sandboxed, cross-origin) child frame.
  if (!frame || frame !== contents.mainFrame) return false;
  return isTrustedUrl(frame.url);
}

/** Listens on `channel` for messages from `contents` that pass validation. */
export function onValidated(
  channel: ChannelName,
  contents: WebContents,
  isTrustedUrl: TrustedUrl,
  listener: (message: string) => void,
): Disposable {
  if (!isChannel(channel)) throw new Error(`unknown IPC channel ${String(channel)}`);
  const handler = (event: IpcMainEvent, message: unknown): void => {
    if (!trusted(event, contents, isTrustedUrl)) {
      console.error(
        `studio: ignored IPC on ${channel} from an untrusted frame (${event.senderFrame?.url ?? 'gone'})`,
      );
      return;
    }
    if (typeof message !== 'string') return;
    listener(message);
  };
  ipcMain.on(channel, handler);
  return { dispose: () => ipcMain.off(channel, handler) };
}

/** The RPC transport to one window. */
export function ipcTransport(contents: WebContents, isTrustedUrl: TrustedUrl): Transport {
  return {
    send(message) {
      if (!contents.isDestroyed()) contents.send(Channel.rpc, message);
    },
    onMessage(listener) {
      return onValidated(Channel.rpc, contents, isTrustedUrl, listener);
    },
    onClose(listener) {
      contents.once('destroyed', listener);
      return { dispose: () => contents.off('destroyed', listener) };
    },
  };
}
