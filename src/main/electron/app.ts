/**
 * The desktop shell: one window, the engine embedded in this (main) process, the Studio API
 * served to the window over validated IPC. The renderer is sandboxed, context-isolated and has no
 * Node; the preload exposes one narrow bridge.
 */
import { app, BrowserWindow, dialog, shell } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Disposable } from '../../common/api.js';
import { Channel } from '../../common/desktop.js';
import { serveApi } from '../../common/rpc.js';
import { openStudioEngine, type EngineAdapter } from '../service/engine-adapter.js';
import { StudioService } from '../service/studio-service.js';
import { installMenu } from './menu.js';
import { ipcTransport, onValidated } from './ipc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_HTML = path.join(here, '../renderer/index.html');
const PRELOAD = path.join(here, '../preload/index.cjs');
const rendererUrl = pathToFileURL(RENDERER_HTML).href;

function isTrustedUrl(url: string): boolean {
  return (
    url === rendererUrl || url.startsWith(rendererUrl + '?') || url.startsWith(rendererUrl + '#')
  );
}

function appFolder(): string {
  const fromArgs = process.argv.slice(app.isPackaged ? 1 : 2).find((a) => !a.startsWith('-'));
  return path.resolve(process.env.PSE_STUDIO_APP ?? fromArgs ?? process.cwd());
}

async function createWindow(service: StudioService): Promise<BrowserWindow> {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    title: `PSE Studio — ${path.basename(service.workspace.root)}`,
    show: false,
    webPreferences: {
      preload: PRELOAD,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });
  const contents = window.webContents;
  // Navigation away from the renderer, and new windows, go to the system browser.
  contents.on('will-navigate', (e, url) => {
    if (!isTrustedUrl(url)) {
      e.preventDefault();
      void shell.openExternal(url);
    }
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (/^https?:/.test(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });

  let api: Disposable | undefined;
  const hello = onValidated(Channel.hello, contents, isTrustedUrl, () => {
    // A reload of the renderer says hello again: serve it afresh.
    api?.dispose();
    api = serveApi(service, ipcTransport(contents, isTrustedUrl), {
      onRejected: (why) => console.error(`studio: ${why}`),
    });
  });
  let dirty = false;
  const dirtySub = onValidated(Channel.dirty, contents, isTrustedUrl, (m) => (dirty = m === '1'));
  window.on('close', (e) => {
    if (!dirty) return;
    const choice = dialog.showMessageBoxSync(window, {
      type: 'warning',
      buttons: ['Cancel', 'Close without saving'],
      defaultId: 0,
      cancelId: 0,
      message: 'Some files have unsaved changes.',
      detail: 'Closing the window now loses them.',
    });
    if (choice === 0) e.preventDefault();
  });
  window.on('closed', () => {
    hello.dispose();
    dirtySub.dispose();
    api?.dispose();
  });
  installMenu(window);
  window.once('ready-to-show', () => window.show());
  await window.loadFile(RENDERER_HTML);
  return window;
}

export async function startDesktop(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  const root = appFolder();
  let engine: EngineAdapter;
  try {
    engine = await openStudioEngine(root);
  } catch (err) {
    dialog.showErrorBox(
      'PSE Studio',
      `Cannot open ${root}:\n${err instanceof Error ? err.message : String(err)}`,
    );
    app.exit(1);
    return;
  }
  const service = new StudioService(engine);
  await createWindow(service);
  app.on('window-all-closed', () => {
    void service
      .close()
      .then(() => engine.close())
      .finally(() => app.quit());
  });
}
