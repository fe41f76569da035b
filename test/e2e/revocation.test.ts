import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { SignJWT, decodeJwt } from 'jose';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, type Person } from '../support/people.js';
import { expectProblem, expectStatus } from '../support/problems.js';
import { serviceUrls } from '../support/services.js';

/**
 * Revocation holds on real infrastructure, where session checks are cached in Redis (30 s) and every
 * revocation must drop that cached answer in every process.
 */
describe('revocation on real infrastructure', { skip: await skipUnless('real') }, () => {
  // The app reaches Redis as a user of its own, so the test can take its write permission away — as a
  // failover, a partition or CLIENT PAUSE WRITE would — without pausing the Redis other tests share.
  const user = `ordo-test-revocation-${process.pid}`;
  const password = 'revocation-test-password';
  let admin: Redis;
  let app: TestApp;

  const allowWrites = (allowed: boolean) =>
    admin.call('ACL', 'SETUSER', user, 'on', `>${password}`, '~*', '&*', allowed ? '+@all' : '-@write');

  before(async () => {
    admin = new Redis(serviceUrls.redis);
    await admin.call('ACL', 'SETUSER', user, 'reset');
    await allowWrites(true);
    const url = new URL(serviceUrls.redis);
    url.username = user;
    url.password = password;
    app = await startTestApp('real', { REDIS_URL: url.toString() });
  });

  after(async () => {
    await app?.close();
    await admin.call('ACL', 'DELUSER', user);
    admin.disconnect();
  });

  async function signedInCustomer(): Promise<Person> {
    const person = await customer(app, 'revocation');
    // Cached as active in Redis from here on.
    await expectStatus(await app.request('/api/auth/profile', { as: person.token }), 200);
    return person;
  }

  it('while Redis refuses writes, logout and disabling are refused (503) rather than left half-done', async () => {
    const person = await signedInCustomer();
    await allowWrites(false);
    try {
      const logout = await app.request('/api/auth/logout', { method: 'POST', as: person.token });
      const problem = await expectProblem(logout, 503);
      assert.match(problem.detail ?? '', /not made/);
      assert.ok(logout.headers.get('retry-after'));
      const disable = await app.request(`/api/users/${person.id}`, { method: 'PATCH', json: { status: 'DISABLED' } });
      await expectProblem(disable, 503);
    } finally {
      await allowWrites(true);
    }
    // Nothing was revoked, so the token still works — the cached answer and the database agree.
    await expectStatus(await app.request('/api/auth/profile', { as: person.token }), 200);
    const user = await expectStatus<{ status: string }>(await app.request(`/api/users/${person.id}`), 200);
    assert.equal(user.status, 'ACTIVE');

    // Once Redis takes writes again, the same logout works and the token is refused at once.
    await expectStatus(await app.request('/api/auth/logout', { method: 'POST', as: person.token }), 204);
    await expectProblem(await app.request('/api/auth/profile', { as: person.token }), 401);
  });

  it('a disabled user is refused on the next request', async () => {
    const person = await signedInCustomer();
    await expectStatus(
      await app.request(`/api/users/${person.id}`, { method: 'PATCH', json: { status: 'DISABLED' } }),
      200,
    );
    await expectProblem(await app.request('/api/auth/profile', { as: person.token }), 401);
  });

  it("a token naming another user with one's own session id does not pass the cached session check", async () => {
    // Signing needs the key: on real infrastructure, tests share a fixed one (NODE_ENV=test only), which is
    // exactly the setting where a forged token must still be held to the account behind its session.
    const key = new TextEncoder().encode('ordo-development-secret-never-use-in-production');
    const [attacker, victim] = [await signedInCustomer(), await customer(app, 'victim')];
    const claims = decodeJwt(attacker.token);
    const forged = await new SignJWT({ role: claims.role, tenant: claims.tenant, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(victim.id)
      .setIssuer(String(claims.iss))
      .setAudience(claims.aud as string | string[])
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
    await expectProblem(await app.request('/api/auth/profile', { as: forged }), 401);
    // The attacker's own token is still fine.
    await expectStatus(await app.request('/api/auth/profile', { as: attacker.token }), 200);
  });
});
