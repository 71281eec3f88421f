// Electron shell: window, menu, dialogs, and the IPC transport for the shared back end.
// Thin by design; everything it wires up is tested without Electron.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell } from 'electron';
import type { MenuCommand } from '../../core/api/contract';
import { createBackend } from '../api/backend';
import { EVENT_CHANNEL, registerIpcApi } from '../api/ipc-bridge';
import { CONTENT_SECURITY_POLICY } from '../server/csp';
import { buildMenuTemplate } from './menu';
import { isAppUrl, isExternalLinkAllowed, secureWebPreferences } from './security';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = path.join(here, '../renderer/index.html');
let mainWindow: BrowserWindow | null = null;

const isOurPage = (url: string) => isAppUrl(url, { devServerUrl: rendererUrl, rendererFile });

function sendMenu(command: MenuCommand) {
  mainWindow?.webContents.send(EVENT_CHANNEL, 'menu', { command });
}

async function createWindow() {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    title: 'Poster Studio',
    show: false,
    webPreferences: secureWebPreferences(path.join(here, '../preload/index.cjs')),
  });
  mainWindow = win;
  win.on('ready-to-show', () => win.show());
  win.on('closed', () => {
    mainWindow = null;
  });
  // No navigation away from the app and no new windows; links open in the system browser.
  win.webContents.on('will-navigate', (e, url) => {
    if (!isOurPage(url)) e.preventDefault();
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isExternalLinkAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // The renderer blocks unload while the document has unsaved changes; ask before losing them.
  win.webContents.on('will-prevent-unload', (event) => {
    const choice = dialog.showMessageBoxSync(win, {
      type: 'question',
      buttons: ['Close without saving', 'Cancel'],
      defaultId: 1,
      cancelId: 1,
      message: 'This poster has unsaved changes.',
      detail: 'A recovery copy from the last autosave is kept and offered the next time the app starts.',
    });
    if (choice === 0) event.preventDefault();
  });
  if (rendererUrl) await win.loadURL(rendererUrl);
  else await win.loadFile(rendererFile);
}

app.whenReady().then(async () => {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, cb) => cb(false));
  const backend = await createBackend({
    dataDir: path.join(app.getPath('userData'), 'data'),
    projectsDir: path.join(app.getPath('documents'), 'Posters'),
    version: app.getVersion(),
    emit: (event, payload) => mainWindow?.webContents.send(EVENT_CHANNEL, event, payload),
    shell: {
      transport: 'ipc',
      pickOpenPath: async () => {
        const r = await dialog.showOpenDialog({
          filters: [{ name: 'Poster Studio project', extensions: ['poster'] }],
          properties: ['openFile'],
        });
        return r.canceled ? null : (r.filePaths[0] ?? null);
      },
      pickSavePath: async (suggestedName, defaultDir) => {
        const r = await dialog.showSaveDialog({
          defaultPath: path.join(defaultDir, suggestedName),
          filters: [{ name: 'Poster Studio project', extensions: ['poster'] }],
        });
        return r.canceled || !r.filePath ? null : r.filePath;
      },
    },
  });
  registerIpcApi(ipcMain, backend.dispatch, (event) => {
    const frame = event.senderFrame;
    return Boolean(
      mainWindow && event.sender === mainWindow.webContents && frame && frame === event.sender.mainFrame && isOurPage(frame.url),
    );
  });
  Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate(sendMenu, process.platform === 'darwin')));
  await createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow();
  });
  // The engine runs in its own process; stop it with the app.
  app.on('will-quit', () => void backend.engine.close());
});

app.on('web-contents-created', (_e, contents) => {
  contents.on('will-attach-webview', (e) => e.preventDefault());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
