// Web mode: the same API over HTTP + WebSocket on 127.0.0.1, for browser tests and for running
// the back end on a GPU box. Every API request needs the per-run token; the Host header must
// name this server (blocks DNS rebinding); cross-origin requests are refused.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type WebSocket, WebSocketServer } from 'ws';
import { decodeMessage, encodeMessage } from '../../core/api/codec';
import type { ApiEventName, ApiEvents, ApiResponse } from '../../core/api/contract';
import type { Dispatch } from '../api/dispatch';
import { CONTENT_SECURITY_POLICY } from './csp';

/** Base64 of the largest asset (512 MB) plus JSON framing. */
const MAX_BODY_BYTES = 700 * 1024 * 1024;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ico': 'image/x-icon',
};

export interface WebServerOptions {
  dispatch: Dispatch;
  staticDir: string;
  port?: number;
  token?: string;
  log?: (msg: string) => void;
}

export interface WebServer {
  url: string;
  /** The URL to open in a browser: the token travels in the fragment, never to the server log. */
  appUrl: string;
  token: string;
  port: number;
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void;
  close(): Promise<void>;
}

function sameToken(given: string | null | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function sendJson(res: http.ServerResponse, status: number, body: ApiResponse<unknown>): void {
  const text = encodeMessage(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}

async function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const token = opts.token ?? randomBytes(24).toString('hex');
  const staticDir = path.resolve(opts.staticDir);
  const log = opts.log ?? (() => {});
  let port = 0;
  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  async function serveStatic(req: http.IncomingMessage, res: http.ServerResponse, pathname: string) {
    let rel: string;
    try {
      rel = pathname === '/' ? 'index.html' : decodeURIComponent(pathname).replace(/^\/+/, '');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad path');
      return;
    }
    const file = path.resolve(staticDir, rel);
    if (!file.startsWith(staticDir + path.sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const data = await fsp.readFile(file);
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] ?? 'application/octet-stream',
        'content-security-policy': CONTENT_SECURITY_POLICY,
        'x-content-type-options': 'nosniff',
        'cross-origin-opener-policy': 'same-origin',
        'referrer-policy': 'no-referrer',
        'cache-control': rel === 'index.html' ? 'no-store' : 'max-age=3600',
      });
      res.end(req.method === 'HEAD' ? undefined : data);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    }
  }

  const server = http.createServer(async (req, res) => {
    try {
      if (!allowedHosts().has(req.headers.host ?? '')) {
        res.writeHead(421, { 'content-type': 'text/plain' }).end('Misdirected request');
        return;
      }
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      // Font files and images are large; they travel as raw bytes rather than base64 JSON (which
      // costs a slow encode here and a long main-thread decode in the page).
      const font = /^\/api\/font\/([a-z0-9-]{1,64})$/.exec(url.pathname);
      const asset = /^\/api\/asset\/([0-9a-f]{64})$/.exec(url.pathname);
      if (font || asset) {
        const auth = req.headers.authorization;
        if (!sameToken(auth?.startsWith('Bearer ') ? auth.slice(7) : null, token)) {
          sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong access token' } });
          return;
        }
        const result = font ? await opts.dispatch('fonts.get', { id: font[1] }) : await opts.dispatch('assets.get', { sha256: asset?.[1] });
        if (!result.ok) {
          sendJson(res, result.error.code === 'not-found' ? 404 : 400, result);
          return;
        }
        const { bytes, mime } = result.value as { bytes: Uint8Array; mime?: string };
        res.writeHead(200, {
          'content-type': font ? 'font/ttf' : (mime ?? 'application/octet-stream'),
          'content-length': bytes.length,
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
        });
        res.end(bytes);
        return;
      }
      if (url.pathname === '/api/call') {
        if (req.method !== 'POST') {
          sendJson(res, 405, { ok: false, error: { code: 'bad-request', message: 'Use POST for API calls' } });
          return;
        }
        const origin = req.headers.origin;
        if (origin && !allowedOrigins().has(origin)) {
          sendJson(res, 403, { ok: false, error: { code: 'unauthorized', message: 'Cross-origin request refused' } });
          return;
        }
        const auth = req.headers.authorization;
        if (!sameToken(auth?.startsWith('Bearer ') ? auth.slice(7) : null, token)) {
          sendJson(res, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong access token' } });
          return;
        }
        let msg: unknown;
        try {
          msg = decodeMessage(await readBody(req, MAX_BODY_BYTES));
        } catch (e) {
          sendJson(res, 400, { ok: false, error: { code: 'bad-request', message: `Malformed request: ${(e as Error).message}` } });
          return;
        }
        if (!msg || typeof msg !== 'object' || Array.isArray(msg)) {
          sendJson(res, 400, { ok: false, error: { code: 'bad-request', message: 'Expected {"method", "args"}' } });
          return;
        }
        const { method, args } = msg as { method?: unknown; args?: unknown };
        const result = await opts.dispatch(method, args);
        sendJson(res, result.ok ? 200 : result.error.code === 'bad-request' ? 400 : 200, result);
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405).end();
        return;
      }
      await serveStatic(req, res, url.pathname);
    } catch (e) {
      log(`web server error: ${(e as Error).stack}`);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const clients = new Set<WebSocket>();
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = req.headers.origin;
    const ok =
      url.pathname === '/api/events' &&
      allowedHosts().has(req.headers.host ?? '') &&
      (!origin || allowedOrigins().has(origin)) &&
      sameToken(url.searchParams.get('token'), token);
    if (!ok) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      clients.add(ws);
      ws.on('close', () => clients.delete(ws));
      ws.on('message', () => {}); // events flow one way; client messages are ignored
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    appUrl: `${url}/#token=${token}`,
    token,
    port,
    emit(event, payload) {
      const text = JSON.stringify({ event, payload });
      for (const c of clients) c.send(text);
    },
    async close() {
      for (const c of clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
