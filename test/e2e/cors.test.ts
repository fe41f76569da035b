import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../support/app.js';
import { expectProblem } from '../support/problems.js';

// CORS lives in the HTTP layer only (no database, bus or cache involved), so the embedded app covers it.

const SHOP = 'https://shop.example.com';
const DEV_SHOP = 'http://localhost:5173';
const STRANGER = 'https://evil.example.net';

/** What a browser sends before a cross-origin POST with a JSON body, a bearer token and an idempotency key. */
async function preflight(app: TestApp, path: string, origin: string): Promise<Response> {
  return read(`${app.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,idempotency-key',
    },
  });
}

/** fetch, with the body read: an unread body keeps its keep-alive connection busy. */
async function read(url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, init);
  const body = await response.text();
  return new Response(response.status === 204 ? null : body, { status: response.status, headers: response.headers });
}

describe('CORS with CORS_ORIGINS set', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded', { CORS_ORIGINS: `${SHOP},${DEV_SHOP}` });
  });
  after(() => app?.close());

  it('answers a listed origin’s preflight with that exact origin, credentials and the headers it asked for', async () => {
    const response = await preflight(app, '/api/tenants/demo_shop/orders', SHOP);
    assert.equal(response.status, 204);
    assert.equal(response.headers.get('access-control-allow-origin'), SHOP);
    assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
    assert.match(response.headers.get('access-control-allow-methods') ?? '', /\bPOST\b/);
    const allowedHeaders = (response.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['authorization', 'content-type', 'idempotency-key']) {
      assert.ok(allowedHeaders.includes(header), `${header} is not allowed: ${allowedHeaders}`);
    }
    assert.ok(Number(response.headers.get('access-control-max-age')) > 0);
    assert.match(response.headers.get('vary') ?? '', /origin/i);
  });

  it('answers each listed origin with itself, never with a wildcard', async () => {
    const response = await read(`${app.url}/api/health/live`, { headers: { origin: DEV_SHOP } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), DEV_SHOP);
    assert.match(response.headers.get('access-control-expose-headers') ?? '', /x-request-id/i);
  });

  it('lets a listed origin read error responses too (a shop shows the problem to its customer)', async () => {
    const response = await read(`${app.url}/api/auth/profile`, { headers: { origin: SHOP } });
    assert.equal(response.headers.get('access-control-allow-origin'), SHOP);
    await expectProblem(response, 401);
  });

  it('lets a listed origin open a Socket.IO connection over HTTP long-polling, and no other', async () => {
    const handshake = `${app.url}/socket.io/?EIO=4&transport=polling`;
    const listed = await read(handshake, { headers: { origin: SHOP } });
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('access-control-allow-origin'), SHOP);
    const other = await read(handshake, { headers: { origin: STRANGER } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
  });

  it('gives any other origin no Access-Control-Allow-Origin, on the preflight or the request', async () => {
    const answered = await preflight(app, '/api/tenants/demo_shop/orders', STRANGER);
    assert.equal(answered.headers.get('access-control-allow-origin'), null);
    assert.equal(answered.headers.get('access-control-allow-credentials'), null);
    const response = await read(`${app.url}/api/health/live`, { headers: { origin: STRANGER } });
    assert.equal(response.headers.get('access-control-allow-origin'), null);
    // A look-alike of a listed origin is another origin.
    const lookAlike = await read(`${app.url}/api/health/live`, { headers: { origin: `${SHOP}.evil.example.net` } });
    assert.equal(lookAlike.headers.get('access-control-allow-origin'), null);
  });
});

describe('CORS with CORS_ORIGINS unset', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded');
  });
  after(() => app?.close());

  it('allows no cross-origin caller at all', async () => {
    const answered = await preflight(app, '/api/auth/login', SHOP);
    assert.equal(answered.headers.get('access-control-allow-origin'), null);
    const response = await read(`${app.url}/api/health/live`, { headers: { origin: SHOP } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), null);
  });
});
