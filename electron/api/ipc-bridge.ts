// The Electron IPC transport, written against a minimal ipcMain-like interface so it is tested
// without Electron. One invoke channel carries {method, args}; the sender must be our window.
import type { ApiResponse } from '../../core/api/contract';
import type { Dispatch } from './dispatch';

export const API_CHANNEL = 'poster:api';
export const EVENT_CHANNEL = 'poster:event';

export interface IpcMainLike<E> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => Promise<unknown>): void;
}

export function registerIpcApi<E>(ipcMain: IpcMainLike<E>, dispatch: Dispatch, isTrustedSender: (event: E) => boolean): void {
  ipcMain.handle(API_CHANNEL, async (event, msg): Promise<ApiResponse<unknown>> => {
    if (!isTrustedSender(event)) {
      return { ok: false, error: { code: 'unauthorized', message: 'IPC from an untrusted frame refused' } };
    }
    if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
      return { ok: false, error: { code: 'bad-request', message: 'Expected {"method", "args"}' } };
    }
    const { method, args } = msg as { method?: unknown; args?: unknown };
    return dispatch(method, args);
  });
}
