// The typed API client. In the desktop app the preload provides window.api (IPC); in web mode
// calls go over HTTP with the per-run token taken from the page URL's fragment.
import { decodeMessage, encodeMessage } from '../../../core/api/codec';
import {
  type ApiArgsOf,
  ApiError,
  type ApiEventName,
  type ApiEvents,
  type ApiMethod,
  type ApiResponse,
  type ApiResults,
  type PosterApi,
} from '../../../core/api/contract';

interface PreloadBridge {
  invoke(method: string, args: unknown): Promise<ApiResponse<unknown>>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    api?: PreloadBridge;
  }
}

function unwrap<T>(r: ApiResponse<unknown>): T {
  if (r.ok) return r.value as T;
  throw new ApiError(r.error.code, r.error.message);
}

function ipcClient(bridge: PreloadBridge): PosterApi {
  return {
    async call(method, args) {
      return unwrap(await bridge.invoke(method, args));
    },
    on(event, listener) {
      return bridge.on(event, listener as (p: unknown) => void);
    },
  };
}

const TOKEN_KEY = 'poster-studio-token';

/** Reads the token from #token=… once, keeps it for reloads of this tab, and hides it. */
export function takeWebToken(): string | null {
  const m = /[#&]token=([0-9a-f]+)/.exec(location.hash);
  if (m?.[1]) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', location.pathname + location.search);
    return m[1];
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

function webClient(token: string): PosterApi {
  const listeners = new Map<string, Set<(p: unknown) => void>>();
  let socket: WebSocket | null = null;
  const connect = () => {
    const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/api/events?token=${token}`);
    ws.onmessage = (m) => {
      try {
        const { event, payload } = JSON.parse(String(m.data));
        for (const l of listeners.get(event) ?? []) l(payload);
      } catch {
        // ignore malformed event frames
      }
    };
    ws.onclose = () => {
      socket = null;
      setTimeout(() => {
        if (listeners.size > 0 && !socket) socket = connect();
      }, 2000);
    };
    return ws;
  };
  return {
    async call<M extends ApiMethod>(method: M, args: ApiArgsOf<M>): Promise<ApiResults[M]> {
      if (method === 'fonts.get') {
        // Fonts are megabytes: fetched as raw bytes, not base64 JSON.
        const id = (args as ApiArgsOf<'fonts.get'>).id;
        const r = await fetch(`/api/font/${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${token}` } });
        if (!r.ok) return unwrap(decodeMessage(await r.text()) as ApiResponse<unknown>);
        return { bytes: new Uint8Array(await r.arrayBuffer()) } as ApiResults[M];
      }
      if (method === 'assets.get') {
        // Images as raw bytes too: a megabyte of base64 JSON would block the page while it decodes.
        const sha = (args as ApiArgsOf<'assets.get'>).sha256;
        const r = await fetch(`/api/asset/${encodeURIComponent(sha)}`, { headers: { authorization: `Bearer ${token}` } });
        if (!r.ok) return unwrap(decodeMessage(await r.text()) as ApiResponse<unknown>);
        const mime = r.headers.get('content-type') as ApiResults['assets.get']['mime'];
        return { mime, bytes: new Uint8Array(await r.arrayBuffer()) } as ApiResults[M];
      }
      let res: Response;
      try {
        res = await fetch('/api/call', {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: encodeMessage({ method, args }),
        });
      } catch (e) {
        throw new ApiError('io', `The Poster Studio server is not reachable (${(e as Error).message}).`);
      }
      return unwrap(decodeMessage(await res.text()) as ApiResponse<unknown>);
    },
    on<E extends ApiEventName>(event: E, listener: (payload: ApiEvents[E]) => void) {
      if (!socket) socket = connect();
      const set = listeners.get(event) ?? new Set();
      set.add(listener as (p: unknown) => void);
      listeners.set(event, set);
      return () => set.delete(listener as (p: unknown) => void);
    },
  };
}

export function createApiClient(): PosterApi {
  if (window.api) return ipcClient(window.api);
  const token = takeWebToken();
  if (!token) {
    throw new ApiError('unauthorized', 'Open the address that `npm run serve` printed (it includes the access token).');
  }
  return webClient(token);
}
