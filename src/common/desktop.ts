/**
 * The desktop bridge: the one global the preload exposes (`window.pseBridge`) and the small enum
 * of desktop-only IPC channels. Everything else travels as StudioApi calls on RPC_CHANNEL, so the
 * renderer runs unchanged in a browser.
 */
export const BRIDGE_GLOBAL = 'pseBridge';
export const CHANNEL_PREFIX = 'pse:';

export const Channel = {
  /** StudioApi envelopes, both ways */
  rpc: 'pse:rpc',
  /** main → renderer: a menu command (DesktopCommand) */
  menu: 'pse:menu',
  /** renderer → main: the renderer is ready for RPC (main then serves on this frame) */
  hello: 'pse:hello',
  /** renderer → main: whether closing the window would lose unsaved changes */
  dirty: 'pse:dirty',
} as const;

export type ChannelName = (typeof Channel)[keyof typeof Channel];

export const DESKTOP_COMMANDS = [
  'save',
  'quick-open',
  'close-tab',
  'reload-preview',
  'new-file',
] as const;
export type DesktopCommand = (typeof DESKTOP_COMMANDS)[number];

export function isChannel(name: unknown): name is ChannelName {
  return (
    typeof name === 'string' &&
    name.startsWith(CHANNEL_PREFIX) &&
    Object.values(Channel).includes(name as ChannelName)
  );
}

export interface PseBridge {
  send(channel: ChannelName, message: string): void;
  /** returns an unsubscribe function */
  on(channel: ChannelName, listener: (message: string) => void): () => void;
}
