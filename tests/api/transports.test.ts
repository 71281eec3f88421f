// Both transports run the same handler suite: Electron IPC (through registerIpcApi with a fake
// ipcMain and structured cloning, as Electron does) and web mode (HTTP + WebSocket). Then the
// checks only one transport has: untrusted frames, tokens, Host/Origin, static files, events.
import { randomBytes } from 'node:crypto';
import { existsSync, promises as fsp } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { decodeMessage, encodeMessage } from '../../core/api/codec';
import type { ApiResponse } from '../../core/api/contract';
import type { PosterDocument } from '../../core/document/schema';
import { createBackend } from '../../electron/api/backend';
import { API_CHANNEL, registerIpcApi } from '../../electron/api/ipc-bridge';
import { CONTENT_SECURITY_POLICY } from '../../electron/server/csp';
import { startWebServer, type WebServer } from '../../electron/server/web-server';
import { docWithImages, makeTempDir, removeDir, sha256, testImage } from '../helpers/fixtures';

// biome-ignore lint/suspicious/noExplicitAny: responses are checked field by field
type Res = ApiResponse<any>;
type Call = (method: string, args?: unknown) => Promise<Res>;

interface Transport {
  name: 'ipc' | 'web';
  call: Call;
  projectsDir: string;
}

const image = testImage(31, 17, 'hero.png', 7);
const hex = (n = 8) => randomBytes(n).toString('hex');
const savedForm = (doc: PosterDocument): PosterDocument => ({ ...doc, assets: { [image.asset.sha256]: image.asset } });

function expectOk(res: Res) {
  if (!res.ok) throw new Error(`expected ok, got ${res.error.code}: ${res.error.message}`);
  return res.value;
}

function expectError(res: Res, code: string, message?: RegExp) {
  expect(res.ok).toBe(false);
  if (res.ok) return;
  expect(res.error.code).toBe(code);
  if (message) expect(res.error.message).toMatch(message);
}

/** The handler suite every transport must pass, given a `call(method, args)` → ApiResponse. */
function runSuite(t: () => Transport) {
  it('app.info describes the app and the transport', async () => {
    const { call, name, projectsDir } = t();
    const info = expectOk(await call('app.info', {}));
    expect(info).toMatchObject({ name: 'Poster Studio', transport: name, nativeDialogs: false, projectsDir, pathSeparator: path.sep });
  });

  it('assets.put reads a real PNG and assets.get returns the same bytes', async () => {
    const { call } = t();
    const asset = expectOk(await call('assets.put', { name: 'hero.png', bytes: image.bytes }));
    expect(asset).toEqual({
      sha256: sha256(image.bytes),
      mime: 'image/png',
      width: 31,
      height: 17,
      byteLength: image.bytes.length,
      name: 'hero.png',
    });
    const got = expectOk(await call('assets.get', { sha256: asset.sha256 }));
    expect(got.mime).toBe('image/png');
    expect(got.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(got.bytes).equals(Buffer.from(image.bytes))).toBe(true);
  });

  it('assets.put refuses bytes that are not an image; assets.get of an unknown hash is not-found', async () => {
    const { call } = t();
    expectError(
      await call('assets.put', { name: 'notes.txt', bytes: new TextEncoder().encode('plain text, not an image') }),
      'invalid-file',
      /Not a PNG/,
    );
    expectError(await call('assets.get', { sha256: 'e'.repeat(64) }), 'not-found');
  });

  it('project.save then project.open returns the same document, and project.recent lists it', async () => {
    const { call, projectsDir } = t();
    expectOk(await call('assets.put', { name: 'hero.png', bytes: image.bytes }));
    const doc = docWithImages(image);
    const file = path.join(projectsDir, `saved-${hex()}.poster`);
    const saved = expectOk(await call('project.save', { path: file, document: doc }));
    expect(saved.path).toBe(file);
    expect(saved.bytes).toBe((await fsp.stat(file)).size);
    const opened = expectOk(await call('project.open', { path: file }));
    expect(opened).toEqual({ path: file, document: savedForm(doc) });
    const recent = expectOk(await call('project.recent', {}));
    expect(recent[0]).toMatchObject({ path: file, title: doc.title, exists: true });
    const listed = expectOk(await call('project.list', {}));
    expect(listed.map((p: { path: string }) => p.path)).toContain(file);
  });

  it('project.save with a relative path is a bad request and creates no file', async () => {
    const { call, projectsDir } = t();
    const name = `relative-${hex()}.poster`;
    expectError(await call('project.save', { path: name, document: docWithImages(image) }), 'bad-request', /absolute path/);
    expect(existsSync(path.resolve(name))).toBe(false);
    expect(existsSync(path.join(projectsDir, name))).toBe(false);
  });

  it('project.save with an invalid document names the field and leaves the existing file byte-identical', async () => {
    const { call, projectsDir } = t();
    expectOk(await call('assets.put', { name: 'hero.png', bytes: image.bytes }));
    const file = path.join(projectsDir, `keep-${hex()}.poster`);
    expectOk(await call('project.save', { path: file, document: docWithImages(image) }));
    const before = await fsp.readFile(file);
    const bad = JSON.parse(JSON.stringify(docWithImages(image)));
    bad.pages[0].elements[1].width = -5;
    expectError(await call('project.save', { path: file, document: bad }), 'bad-request', /pages\[0\]\.elements\[1\]\.width/);
    expect((await fsp.readFile(file)).equals(before)).toBe(true);
  });

  it('project.open reports missing, damaged and newer-version files by code', async () => {
    const { call, projectsDir } = t();
    expectError(await call('project.open', { path: path.join(projectsDir, `missing-${hex()}.poster`) }), 'not-found');
    const junk = path.join(projectsDir, `junk-${hex()}.poster`);
    await fsp.writeFile(junk, 'not a zip at all, just words');
    expectError(await call('project.open', { path: junk }), 'invalid-file', /not a zip/);
  });

  it('unknown methods and malformed arguments are bad requests', async () => {
    const { call } = t();
    for (const m of ['project.delete', '__proto__', 'toString', 'constructor'])
      expectError(await call(m, {}), 'bad-request', /Unknown method/);
    expectError(await call('app.info', { extra: 1 }), 'bad-request', /extra/);
    expectError(await call('assets.get', { sha256: image.asset.sha256, also: true }), 'bad-request', /also/);
    expectError(await call('app.info'), 'bad-request');
    expectError(await call('project.open', { path: '/tmp/not-a-project.txt' }), 'bad-request', /\.poster/);
    expectError(await call('assets.put', { name: 'x.png', bytes: 'not bytes' }), 'bad-request', /bytes/);
    expectError(await call('project.recover', { sessionId: '../../etc' }), 'bad-request', /session id/);
  });

  it('project.autosave, recoveries, recover and discardRecovery work together', async () => {
    const { call, projectsDir } = t();
    expectOk(await call('assets.put', { name: 'hero.png', bytes: image.bytes }));
    const sessionId = hex(12);
    const doc = { ...docWithImages(image), title: `Autosaved ${sessionId}` };
    const projectPath = path.join(projectsDir, 'later.poster');
    const { savedAt } = expectOk(await call('project.autosave', { sessionId, path: projectPath, document: doc }));
    expect(Number.isNaN(Date.parse(savedAt))).toBe(false);
    const list = expectOk(await call('project.recoveries', {}));
    expect(list).toContainEqual({ sessionId, path: projectPath, title: doc.title, savedAt });
    expect(expectOk(await call('project.recover', { sessionId }))).toEqual({ path: projectPath, document: savedForm(doc) });
    expect(expectOk(await call('project.discardRecovery', { sessionId }))).toEqual({ removed: true });
    expect(expectOk(await call('project.discardRecovery', { sessionId }))).toEqual({ removed: false });
    expect(expectOk(await call('project.recoveries', {})).map((r: { sessionId: string }) => r.sessionId)).not.toContain(sessionId);
    expectError(await call('project.recover', { sessionId }), 'not-found');
  });

  it('dialogs return no path when the shell has no native dialogs', async () => {
    const { call } = t();
    expect(expectOk(await call('dialog.openProject', {}))).toEqual({ path: null });
    expect(expectOk(await call('dialog.saveProject', { suggestedName: 'Poster' }))).toEqual({ path: null });
  });
}

// ---------------------------------------------------------------- IPC

interface FakeEvent {
  senderFrame: { url: string } | null;
}
const TRUSTED: FakeEvent = { senderFrame: { url: 'app://poster/index.html' } };
const UNTRUSTED: FakeEvent = { senderFrame: { url: 'https://evil.example/ad.html' } };

describe('IPC transport', () => {
  let root: string;
  let handler: (event: FakeEvent, ...args: unknown[]) => Promise<unknown>;
  const transport: Transport = {
    name: 'ipc',
    projectsDir: '',
    call: async () => ({ ok: false, error: { code: 'internal', message: 'not ready' } }),
  };

  beforeAll(async () => {
    root = await makeTempDir('poster-ipc-');
    const backend = await createBackend({
      dataDir: path.join(root, 'data'),
      projectsDir: path.join(root, 'projects'),
      shell: { transport: 'ipc' },
      log: () => {},
    });
    const channels = new Map<string, typeof handler>();
    registerIpcApi<FakeEvent>(
      { handle: (channel, listener) => channels.set(channel, listener) },
      backend.dispatch,
      (e) => e.senderFrame?.url.startsWith('app://poster/') ?? false,
    );
    handler = channels.get(API_CHANNEL)!;
    expect(handler).toBeTypeOf('function');
    transport.projectsDir = backend.projectsDir;
    transport.call = async (method, args) => (await handler(TRUSTED, structuredClone({ method, args }))) as Res;
  });
  afterAll(() => removeDir(root));

  runSuite(() => transport);

  it('a call from an untrusted frame is refused as unauthorized and has no effect', async () => {
    const file = path.join(transport.projectsDir, `untrusted-${hex()}.poster`);
    for (const event of [UNTRUSTED, { senderFrame: null }]) {
      const res = (await handler(
        event,
        structuredClone({ method: 'project.save', args: { path: file, document: docWithImages(image) } }),
      )) as Res;
      expectError(res, 'unauthorized');
    }
    expect(existsSync(file)).toBe(false);
  });

  it('a message that is not {method, args} is a bad request', async () => {
    for (const msg of [null, 'app.info', ['app.info', {}]]) expectError((await handler(TRUSTED, msg)) as Res, 'bad-request');
  });
});

// ---------------------------------------------------------------- web

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function rawRequest(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Opens a WebSocket; resolves with the socket, or with the HTTP status the server refused it with. */
function connect(url: string): Promise<{ ws: WebSocket } | { refused: number }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => resolve({ ws }));
    ws.on('unexpected-response', (_req, res) => {
      resolve({ refused: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.on('error', () => resolve({ refused: -1 }));
  });
}

describe('web transport', () => {
  let root: string;
  let staticDir: string;
  let server: WebServer;
  const transport: Transport = {
    name: 'web',
    projectsDir: '',
    call: async () => ({ ok: false, error: { code: 'internal', message: 'not ready' } }),
  };
  const INDEX = '<!doctype html><title>Poster Studio</title><div id="root"></div>';
  const SECRET = `top secret ${hex()}`;

  const post = (body: string, headers: Record<string, string> = { authorization: `Bearer ${server.token}` }) =>
    fetch(`${server.url}/api/call`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    root = await makeTempDir('poster-web-');
    staticDir = path.join(root, 'static');
    await fsp.mkdir(staticDir);
    await fsp.writeFile(path.join(staticDir, 'index.html'), INDEX);
    await fsp.writeFile(path.join(root, 'secret.txt'), SECRET);
    const backend = await createBackend({
      dataDir: path.join(root, 'data'),
      projectsDir: path.join(root, 'projects'),
      shell: { transport: 'web' },
      log: () => {},
    });
    server = await startWebServer({ dispatch: backend.dispatch, staticDir });
    transport.projectsDir = backend.projectsDir;
    transport.call = async (method, args) => {
      const res = await post(encodeMessage({ method, args }));
      const body = decodeMessage(await res.text()) as Res;
      expect(res.status).toBe(body.ok ? 200 : body.error.code === 'bad-request' ? 400 : 200);
      return body;
    };
  });
  afterAll(async () => {
    await server?.close();
    await removeDir(root);
  });

  runSuite(() => transport);

  const saveBody = (file: string) => encodeMessage({ method: 'project.save', args: { path: file, document: docWithImages(image) } });

  it('a call without a token, or with a wrong one, is 401 and saves nothing', async () => {
    expectOk(await transport.call('assets.put', { name: 'hero.png', bytes: image.bytes }));
    const file = path.join(transport.projectsDir, `no-token-${hex()}.poster`);
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${'0'.repeat(server.token.length)}` },
      { authorization: 'Bearer short' },
      { authorization: server.token },
    ];
    for (const headers of attempts) {
      const res = await post(saveBody(file), headers);
      expect(res.status).toBe(401);
      expect(decodeMessage(await res.text())).toMatchObject({ ok: false, error: { code: 'unauthorized' } });
    }
    expect(existsSync(file)).toBe(false);
  });

  it('a request naming another Host is 421 (DNS rebinding)', async () => {
    const file = path.join(transport.projectsDir, `rebind-${hex()}.poster`);
    const res = await rawRequest(server.port, {
      method: 'POST',
      path: '/api/call',
      headers: { host: 'evil.com', authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: saveBody(file),
    });
    expect(res.status).toBe(421);
    expect((await rawRequest(server.port, { path: '/index.html', headers: { host: 'evil.com' } })).status).toBe(421);
    expect(existsSync(file)).toBe(false);
  });

  it('a cross-origin call is 403 even with the token; the app’s own origin is allowed', async () => {
    const body = encodeMessage({ method: 'app.info', args: {} });
    const cross = await post(body, { authorization: `Bearer ${server.token}`, origin: 'http://evil.com' });
    expect(cross.status).toBe(403);
    const same = await post(body, { authorization: `Bearer ${server.token}`, origin: `http://localhost:${server.port}` });
    expect(same.status).toBe(200);
  });

  it('a malformed JSON body is 400', async () => {
    for (const body of [
      '{"method": "app.info", ',
      '[1,2]',
      '"just a string"',
      '{"method":"assets.put","args":{"bytes":{"$bytes":"@@@"}}}',
    ]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(decodeMessage(await res.text())).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    }
    expect((await fetch(`${server.url}/api/call`)).status).toBe(405);
  });

  it('serves index.html without a token, with a Content-Security-Policy', async () => {
    for (const p of ['/', '/index.html']) {
      const res = await fetch(`${server.url}${p}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expect(res.headers.get('content-type')).toMatch(/text\/html/);
      expect(res.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    }
    expect((await fetch(`${server.url}/missing.js`)).status).toBe(404);
  });

  it('path traversal never serves files outside the static folder', async () => {
    const attempts = [
      '/..%2f..%2fpackage.json',
      '/..%2fsecret.txt',
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/static/..%2f..%2fsecret.txt',
    ];
    for (const p of attempts) {
      const res = await rawRequest(server.port, { path: p, headers: { host: `127.0.0.1:${server.port}` } });
      expect(res.status, p).not.toBe(200);
      expect(res.body, p).not.toContain(SECRET);
      expect(res.body, p).not.toContain('"name": "poster-studio"');
    }
  });

  it('a malformed percent-escape in a static path is a 400, not a server error', async () => {
    const res = await rawRequest(server.port, { path: '/%E0%A4%A', headers: { host: `127.0.0.1:${server.port}` } });
    expect(res.status).toBe(400);
  });

  it('the event WebSocket refuses a missing or wrong token and delivers events with the right one', async () => {
    const base = `ws://127.0.0.1:${server.port}/api/events`;
    expect(await connect(base)).toEqual({ refused: 401 });
    expect(await connect(`${base}?token=${'f'.repeat(server.token.length)}`)).toEqual({ refused: 401 });
    const ok = await connect(`${base}?token=${server.token}`);
    if (!('ws' in ok)) throw new Error(`refused with ${ok.refused}`);
    try {
      const message = new Promise<unknown>((resolve) => ok.ws.once('message', (data) => resolve(JSON.parse(String(data)))));
      server.emit('menu', { command: 'save' });
      expect(await message).toEqual({ event: 'menu', payload: { command: 'save' } });
    } finally {
      ok.ws.close();
    }
  });
});
