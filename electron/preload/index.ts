// Exposes the typed API as window.api and nothing else. Only contract methods and events pass.
import { contextBridge, ipcRenderer } from 'electron';
import { API_EVENTS, API_METHOD_NAMES } from '../../core/api/names';

const API_CHANNEL = 'poster:api';
const EVENT_CHANNEL = 'poster:event';
const methods = new Set<string>(API_METHOD_NAMES);
const events = new Set<string>(API_EVENTS);

contextBridge.exposeInMainWorld('api', {
  invoke(method: string, args: unknown) {
    if (!methods.has(method)) return Promise.resolve({ ok: false, error: { code: 'bad-request', message: `Unknown method ${method}` } });
    return ipcRenderer.invoke(API_CHANNEL, { method, args });
  },
  on(event: string, listener: (payload: unknown) => void) {
    if (!events.has(event)) throw new Error(`Unknown event ${event}`);
    const wrapped = (_e: unknown, name: unknown, payload: unknown) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
  },
});
