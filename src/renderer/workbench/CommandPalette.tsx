/** The command palette (F1, Ctrl/Cmd+Shift+P): every workbench action with its keybinding. */
import { Command as Cmdk } from 'cmdk';
import type { Command } from '../platform/commands.js';
import { formatKey } from '../platform/keybindings.js';

export function CommandPalette({ commands, onClose }: { commands: Command[]; onClose(): void }) {
  const run = (c: Command): void => {
    onClose();
    // after the palette is gone, so that focus goes where the command puts it
    setTimeout(() => c.run(), 0);
  };
  return (
    <div className="dialog-backdrop" onClick={onClose} role="presentation">
      <div className="palette" onClick={(e) => e.stopPropagation()}>
        <Cmdk
          label="Command palette"
          loop
          onKeyDown={(e) => {
            if (e.key === 'Escape') onClose();
          }}
        >
          <Cmdk.Input autoFocus placeholder="Type a command…" aria-label="Command" />
          <Cmdk.List>
            <Cmdk.Empty>No command matches.</Cmdk.Empty>
            {commands.map((c) => (
              <Cmdk.Item
                key={c.id}
                value={c.title}
                disabled={c.enabled === false}
                onSelect={() => run(c)}
                data-command={c.id}
              >
                <span className="palette-title">{c.title}</span>
                {c.keys?.length ? (
                  <kbd className="palette-keys">{c.keys.map(formatKey).join('  ')}</kbd>
                ) : null}
              </Cmdk.Item>
            ))}
          </Cmdk.List>
        </Cmdk>
      </div>
    </div>
  );
}
