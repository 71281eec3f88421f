// Images reach the page as raw bytes over /api/asset/<sha256> in web mode (base64 JSON of a
// generated image blocked the page for over 100 ms while it decoded): same bytes and type as
// stored, and the same token rule as every other call.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage } from '../../core/api/codec';
import { type Backend, createBackend } from '../../electron/api/backend';
import { startWebServer, type WebServer } from '../../electron/server/web-server';
import { makeTempDir, removeDir, sha256, testImage } from '../helpers/fixtures';

let root: string;
let backend: Backend;
let server: WebServer;
const image = testImage(40, 24, 'poster.png', 3);

beforeAll(async () => {
  root = await makeTempDir('poster-asset-route-');
  backend = await createBackend({
    dataDir: path.join(root, 'data'),
    projectsDir: path.join(root, 'projects'),
    shell: { transport: 'web' },
    bundledModel: null,
    log: () => {},
  });
  server = await startWebServer({ dispatch: backend.dispatch, staticDir: root });
});

afterAll(async () => {
  await backend?.engine.close();
  await server?.close();
  await removeDir(root);
});

const get = (p: string, token: string | null = server.token) =>
  fetch(`${server.url}${p}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

describe('/api/asset', () => {
  it('serves a stored image byte for byte with its type', async () => {
    const put = await fetch(`${server.url}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: encodeMessage({ method: 'assets.put', args: { name: image.asset.name, bytes: image.bytes } }),
    });
    expect(put.ok).toBe(true);
    const sha = sha256(image.bytes);
    const res = await get(`/api/asset/${sha}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(sha256(bytes)).toBe(sha);
    expect(bytes.length).toBe(image.bytes.length);
  });

  it('refuses a missing or wrong token and answers 404 for an unknown image', async () => {
    const sha = sha256(image.bytes);
    expect((await get(`/api/asset/${sha}`, null)).status).toBe(401);
    expect((await get(`/api/asset/${sha}`, 'f'.repeat(64))).status).toBe(401);
    const unknown = await get(`/api/asset/${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ ok: false, error: { code: 'not-found' } });
  });
});
