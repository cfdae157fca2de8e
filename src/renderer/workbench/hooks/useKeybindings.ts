/**
 * Keybindings of the workbench's commands, window-wide (inside Monaco its own commands run
 * first; the editor forwards the workbench's to the same commands), and the desktop menu.
 */
import { useEffect, useRef } from 'react';
import { Channel } from '../../../common/desktop.js';
import type { Command } from '../../platform/commands.js';
import { matchesKey } from '../../platform/keybindings.js';
import { desktopBridge } from '../../platform/transport.js';

export function useKeybindings(commands: Command[]): void {
  const current = useRef(commands);
  current.current = commands;
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const target = e.target instanceof Element ? e.target : null;
      const cmd = current.current.find(
        (c) => c.keys?.some((k) => matchesKey(e, k)) && (!c.focus || !!target?.closest(c.focus)),
      );
      if (!cmd || cmd.enabled === false) return;
      e.preventDefault();
      e.stopPropagation();
      cmd.run();
    };
    // capture: before Monaco, which would otherwise take Ctrl+B/J/Shift+P for itself
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  useEffect(() => {
    const bridge = desktopBridge();
    if (!bridge) return;
    return bridge.on(Channel.menu, (msg) => current.current.find((c) => c.id === msg)?.run());
  }, []);
}
