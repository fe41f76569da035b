import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt } from 'jose';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';

/**
 * On real infrastructure without JWT_SECRET (development), processes share a fixed development secret
 * that anyone can read in the source. The verifier must not trust a token's role or tenant merely
 * because its signature checks out: they must still be the account's.
 */
const SHARED_DEVELOPMENT_SECRET = new TextEncoder().encode('ordo-development-secret-never-use-in-production');

describe(
  'access tokens are checked against the account, not just the signature',
  { skip: await skipUnless('real') },
  () => {
    let app: TestApp;
    let customerToken: string;

    before(async () => {
      app = await startTestApp('real');
      const registered = await app.request('/api/auth/register', {
        method: 'POST',
        as: null,
        json: { email: `claims-${Date.now()}@ordo.test`, password: 'customer-password', name: 'Claims' },
      });
      assert.equal(registered.status, 201);
      customerToken = ((await registered.json()) as { access_token: string }).access_token;
    });

    after(async () => {
      await app.close();
    });

    async function resign(claims: Record<string, unknown>): Promise<string> {
      const original = decodeJwt(customerToken);
      return new SignJWT({ role: original.role, tenant: original.tenant, sid: original.sid, ...claims })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(String(original.sub))
        .setIssuer('ordo')
        .setAudience('ordo-api')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(SHARED_DEVELOPMENT_SECRET);
    }

    it('accepts the token re-signed with unchanged claims (the secret is the shared development one)', async () => {
      const same = await resign({});
      assert.equal((await app.request('/api/auth/profile', { as: same })).status, 200);
    });

    it('refuses a re-signed token that claims ADMIN for a customer session', async () => {
      const forged = await resign({ role: 'ADMIN' });
      const response = await app.request('/api/users', { as: forged });
      assert.equal(response.status, 401);
      assert.equal((await app.request('/api/auth/profile', { as: forged })).status, 401);
    });

    it('refuses a re-signed token that claims a merchant role in some tenant', async () => {
      const forged = await resign({ role: 'MERCHANT', tenant: 'demo_shop' });
      assert.equal((await app.request('/api/auth/profile', { as: forged })).status, 401);
    });
  },
);

describe('request ids from clients', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded');
  });
  after(async () => {
    await app.close();
  });

  it('keeps a well-formed upstream id and replaces anything else with its own', async () => {
    const kept = await app.request('/api/health/live', { headers: { 'x-request-id': 'upstream-4f2a9c1e' } });
    assert.equal(kept.headers.get('x-request-id'), 'upstream-4f2a9c1e');
    const planted = await app.request('/api/health/live', { headers: { 'x-request-id': 'admin did this; trust me' } });
    const replaced = planted.headers.get('x-request-id') ?? '';
    assert.notEqual(replaced, 'admin did this; trust me');
    assert.match(replaced, /^[0-9a-f-]{36}$/);
  });
});

describe('access tokens must carry exp, iat, sub, sid and our issuer and audience (embedded)', () => {
  // A known secret, so the test can sign tokens with the server's real key.
  const JWT_SECRET = 'claims-test-secret-0123456789abcdef0123456789';
  const key = new TextEncoder().encode(JWT_SECRET);
  let app: TestApp;
  let issued: ReturnType<typeof decodeJwt>;

  before(async () => {
    app = await startTestApp('embedded', { JWT_SECRET });
    const registered = await app.request('/api/auth/register', {
      method: 'POST',
      as: null,
      json: { email: `required-claims-${Date.now()}@ordo.test`, password: 'customer-password', name: 'Claims' },
    });
    assert.equal(registered.status, 201);
    issued = decodeJwt(((await registered.json()) as { access_token: string }).access_token);
  });

  after(async () => {
    await app.close();
  });

  type Omittable = 'exp' | 'iat' | 'sub' | 'sid' | 'iss' | 'aud';

  /** The issued token's claims, signed with the real key, minus `omit`, with `override` on top. */
  function signed(omit: Omittable[] = [], override: Record<string, unknown> = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      role: issued.role,
      tenant: issued.tenant,
      sid: issued.sid,
      sub: issued.sub,
      iss: 'ordo',
      aud: 'ordo-api',
      iat: now,
      exp: now + 300,
      ...override,
    };
    for (const name of omit) delete claims[name];
    return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(key);
  }

  const profileStatus = async (token: string) => (await app.request('/api/auth/profile', { as: token })).status;

  it('accepts a token with every required claim (the test signs like the server)', async () => {
    assert.equal(await profileStatus(await signed()), 200);
  });

  for (const claim of ['exp', 'iat', 'sub', 'sid', 'iss', 'aud'] as const) {
    it(`refuses a token without ${claim} with 401, though its signature is good`, async () => {
      assert.equal(await profileStatus(await signed([claim])), 401);
    });
  }

  it('refuses a foreign issuer or audience', async () => {
    assert.equal(await profileStatus(await signed([], { iss: 'someone-else' })), 401);
    assert.equal(await profileStatus(await signed([], { aud: 'another-api' })), 401);
  });

  it('refuses a token issued in the future or older than the access-token lifetime', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal(await profileStatus(await signed([], { iat: now + 3600, exp: now + 4000 })), 401);
    // ACCESS_TOKEN_TTL_SECONDS is 900 by default: a token issued two hours ago is no access token of ours.
    assert.equal(await profileStatus(await signed([], { iat: now - 7200, exp: now + 300 })), 401);
  });
});
