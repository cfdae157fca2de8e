/** The application menu: the usual shortcuts, sent to the renderer as desktop commands. */
import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { Channel, type DesktopCommand } from '../../common/desktop.js';

export function installMenu(window: BrowserWindow): void {
  const send = (cmd: DesktopCommand) => () => window.webContents.send(Channel.menu, cmd);
  const isMac = process.platform === 'darwin';
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'New File…', accelerator: 'CmdOrCtrl+N', click: send('new-file') },
        { label: 'Quick Open…', accelerator: 'CmdOrCtrl+P', click: send('quick-open') },
        { type: 'separator' },
        { label: 'Save', accelerator: 'CmdOrCtrl+S', click: send('save') },
        { label: 'Close Tab', accelerator: 'CmdOrCtrl+W', click: send('close-tab') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    {
      label: 'View',
      submenu: [
        {
          label: 'Reload Preview',
          accelerator: 'CmdOrCtrl+Shift+R',
          click: send('reload-preview'),
        },
        { type: 'separator' },
        { role: 'toggleDevTools', accelerator: isMac ? 'Alt+Cmd+I' : 'Ctrl+Shift+I' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
