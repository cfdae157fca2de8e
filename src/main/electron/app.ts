/**
 * The desktop shell: one window, the engine embedded in this (main) process, the Studio API
 * served to the window over validated IPC. The renderer is sandboxed, context-isolated and has no
 * Node; the preload exposes one narrow bridge.
 */
import { app, BrowserWindow, dialog, session, shell, type Session } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Disposable } from '../../common/api.js';
import { Channel } from '../../common/desktop.js';
import { serveApi } from '../../common/rpc.js';
import { openStudioEngine, type EngineAdapter } from '../service/engine-adapter.js';
import { StudioService } from '../service/studio-service.js';
import { installMenu } from './menu.js';
import { ipcTransport, onValidated } from './ipc.js';
import { externalUrl, isRendererUrl, navigationDecision, permissionAllowed } from './policy.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RENDERER_HTML = path.join(here, '../renderer/index.html');
const PRELOAD = path.join(here, '../preload/index.cjs');
const rendererUrl = pathToFileURL(RENDERER_HTML).href;

const isTrustedUrl = (url: string): boolean => isRendererUrl(rendererUrl, url);

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
  // Navigation away from the renderer, and new windows, go to the system browser: http(s) only.
  contents.on('will-navigate', (e, url) => {
    const decision = navigationDecision(rendererUrl, url);
    if (decision.allow) return;
    e.preventDefault();
    if (decision.openExternal) void shell.openExternal(decision.openExternal);
  });
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrl(url);
    if (external) void shell.openExternal(external);
    return { action: 'deny' };
  });
  // No <webview>: nothing in Studio uses one, and one could load anything with its own settings.
  contents.on('will-attach-webview', (e) => e.preventDefault());

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

/** Deny-by-default permission handlers (Electron grants every permission unless told). */
function denyPermissions(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, permission, callback, details) =>
    callback(permissionAllowed(rendererUrl, permission, details.requestingUrl)),
  );
  ses.setPermissionCheckHandler((_contents, permission, _origin, details) =>
    permissionAllowed(rendererUrl, permission, details.requestingUrl),
  );
}

export async function startDesktop(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  await app.whenReady();
  denyPermissions(session.defaultSession);
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
