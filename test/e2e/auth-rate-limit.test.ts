import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { AuthRateLimiter, rateLimitAccount } from '../../src/modules/auth/rate-limit.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { TEST_ADMIN } from '../support/auth.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../support/processes.js';
import { waitFor } from '../support/wait-for.js';

interface Problem {
  status: number;
  title: string;
  detail?: string;
}

type Post = (path: string, json: unknown) => Promise<Response>;

const PASSWORD = 'correct horse battery staple';
const uniqueEmail = (label = 'user') => `${label}-${randomUUID()}@example.test`;

/** Asserts a 429 problem+json with a sane Retry-After (whole seconds, within the window) and returns it. */
async function expectLimited(response: Response, windowSeconds: number): Promise<number> {
  const text = await response.text();
  assert.equal(response.status, 429, `expected 429, got ${response.status}: ${text}`);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  assert.equal(body.status, 429);
  const retryAfter = response.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/, `Retry-After is whole seconds: ${retryAfter}`);
  const seconds = Number(retryAfter);
  assert.ok(seconds >= 1 && seconds <= windowSeconds, `Retry-After ${seconds} is within the ${windowSeconds} s window`);
  return seconds;
}

async function statusOf(response: Response): Promise<number> {
  await response.arrayBuffer();
  return response.status;
}

const wrongLogin = (post: Post, email: string) => post('/api/auth/login', { email, password: 'not the password' });

describe('auth rate limits (embedded, one process)', () => {
  const LIMIT = 3;
  let app: TestApp;
  let post: Post;
  before(async () => {
    app = await startTestApp('embedded', { AUTH_RATE_LIMIT: String(LIMIT), AUTH_RATE_LIMIT_WINDOW_MS: '60000' });
    post = (path, json) => app.request(path, { method: 'POST', json, as: null });
  });
  after(async () => {
    await app?.close();
  });

  it('refuses login attempts beyond the limit with 429 and Retry-After, whatever the email', async () => {
    // Different emails from one IP: the per-IP counter refuses the fourth.
    for (let attempt = 1; attempt <= LIMIT; attempt++) {
      assert.equal(await statusOf(await wrongLogin(post, uniqueEmail())), 401, `attempt ${attempt}`);
    }
    await expectLimited(await wrongLogin(post, uniqueEmail()), 60);
    // Even the right password is refused now: the limit is checked before anything else.
    await expectLimited(await post('/api/auth/login', TEST_ADMIN), 60);
  });

  it('counts register and refresh separately from login, each with its own limit', async () => {
    for (let attempt = 1; attempt <= LIMIT; attempt++) {
      const response = await post('/api/auth/register', { email: uniqueEmail(), password: PASSWORD, name: 'Flood' });
      assert.equal(await statusOf(response), 201, `register ${attempt}`);
    }
    await expectLimited(
      await post('/api/auth/register', { email: uniqueEmail(), password: PASSWORD, name: 'Flood' }),
      60,
    );

    for (let attempt = 1; attempt <= LIMIT; attempt++) {
      assert.equal(await statusOf(await post('/api/auth/refresh', { refresh_token: randomUUID() })), 401);
    }
    await expectLimited(await post('/api/auth/refresh', { refresh_token: randomUUID() }), 60);
  });

  it('refuses invalid bodies too once over the limit: the check comes before validation', async () => {
    // The register counter of this IP is spent (previous test): even a malformed body gets 429, not 400.
    await expectLimited(await post('/api/auth/register', { bogus: true }), 60);
  });

  it('counts every attempt per IP across accounts', async () => {
    const limiter = app.ordo.app.get(AuthRateLimiter);
    const byIp = [];
    for (let attempt = 1; attempt <= LIMIT + 1; attempt++) {
      byIp.push((await limiter.check('login', '203.0.113.7', `someone-${attempt}@example.test`)).allowed);
    }
    assert.deepEqual(byIp, [true, true, true, false]);
    // Refresh counts against a prefix of the token's hash, never the token itself.
    const token = randomUUID();
    const refreshAccount = rateLimitAccount('refresh', { refresh_token: token });
    assert.match(refreshAccount ?? '', /^[0-9a-f]{32}$/);
    assert.ok(!refreshAccount?.includes(token));
  });

  it('locks an account only for the network its failed logins came from', async () => {
    const limiter = app.ordo.app.get(AuthRateLimiter);
    const email = `Victim-${randomUUID()}@Example.test`;
    const account = rateLimitAccount('login', { email });
    assert.ok(account && account === account.toLowerCase(), 'emails count in lower case');
    for (let failure = 1; failure <= LIMIT; failure++) await limiter.loginFailed(email, '198.51.100.66');
    assert.equal((await limiter.check('login', '198.51.100.66', account)).allowed, false, 'the guessing network');
    assert.equal((await limiter.check('login', '198.51.100.68', account)).allowed, true, "the user's own network");
  });

  it('counts only failed logins against an account, and forgets them on success', async () => {
    const limiter = app.ordo.app.get(AuthRateLimiter);
    const email = `forgetful-${randomUUID()}@example.test`;
    const account = rateLimitAccount('login', { email });
    const ip = '192.0.2.44';
    // Two failures, a success, two failures: never LIMIT failures in a row, so never locked.
    for (const outcome of ['fail', 'fail', 'ok', 'fail', 'fail'] as const) {
      if (outcome === 'fail') await limiter.loginFailed(email, ip);
      else await limiter.loginSucceeded(email, ip);
    }
    // The per-IP counter is another matter: checked from another address of this test, it is untouched.
    assert.equal((await limiter.check('login', '192.0.2.45', account)).allowed, true);
    await limiter.loginFailed(email, ip);
    assert.equal((await limiter.check('login', ip, account)).allowed, false, 'the third failure in a row locks');
  });

  it('counts IPv6 clients per /64, and IPv4-mapped addresses as IPv4', async () => {
    const limiter = app.ordo.app.get(AuthRateLimiter);
    const allowed = async (ip: string) => (await limiter.check('register', ip, null)).allowed;
    // One host owns its whole /64: new addresses inside it share one bucket.
    for (let host = 1; host <= LIMIT; host++) assert.equal(await allowed(`2001:db8:7:1::${host}`), true);
    assert.equal(await allowed('2001:db8:7:1:ffff:ffff:ffff:fffe'), false, 'another address of the same /64');
    assert.equal(await allowed('2001:db8:7:2::1'), true, 'the next /64 is someone else');
    for (let attempt = 1; attempt <= LIMIT; attempt++) assert.equal(await allowed('192.0.2.200'), true);
    assert.equal(await allowed('::ffff:192.0.2.200'), false, 'the IPv4-mapped form of a spent IPv4 address');
  });
});

describe('auth rate limits over HTTP behind a proxy (embedded, TRUST_PROXY)', () => {
  const LIMIT = 3;
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded', {
      AUTH_RATE_LIMIT: String(LIMIT),
      AUTH_RATE_LIMIT_WINDOW_MS: '60000',
      TRUST_PROXY: 'true',
    });
  });
  after(async () => {
    await app?.close();
  });

  const login = (from: string, json: unknown) =>
    app.request('/api/auth/login', { method: 'POST', json, as: null, headers: { 'x-forwarded-for': from } });

  it('an attacker failing on purpose does not lock the real user out', async () => {
    const victim = { email: uniqueEmail('victim'), password: PASSWORD };
    const registered = await app.request('/api/auth/register', {
      method: 'POST',
      json: { ...victim, name: 'Victim' },
      as: null,
      headers: { 'x-forwarded-for': '198.51.100.200' },
    });
    assert.equal(await statusOf(registered), 201);
    // Guessing from one address: LIMIT failures lock this account for that address, right password or not.
    for (let attempt = 1; attempt <= LIMIT; attempt++) {
      assert.equal(await statusOf(await login('203.0.113.1', { email: victim.email, password: 'guess' })), 401);
    }
    await expectLimited(await login('203.0.113.1', victim), 60);
    // The victim, from home, signs in with the right password.
    const own = await login('198.51.100.201', victim);
    assert.equal(await statusOf(own), 200);
  });

  it('counts IPv6 clients per /64: new addresses in the same /64 do not buy new attempts', async () => {
    for (let host = 1; host <= LIMIT; host++) {
      const response = await login(`2001:db8:42:1::${host}`, { email: uniqueEmail(), password: 'guess' });
      assert.equal(await statusOf(response), 401, `attempt from host ${host}`);
    }
    await expectLimited(await login('2001:db8:42:1:dead:beef:0:1', { email: uniqueEmail(), password: 'x' }), 60);
    assert.equal(await statusOf(await login('2001:db8:42:2::1', { email: uniqueEmail(), password: 'x' })), 401);
  });
});

describe('auth rate limits: the window resets (embedded)', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp('embedded', { AUTH_RATE_LIMIT: '2', AUTH_RATE_LIMIT_WINDOW_MS: '2000' });
  });
  after(async () => {
    await app?.close();
  });

  it('allows attempts again once Retry-After has passed', async () => {
    // Refresh with unknown tokens: no password hashing, so the attempts fit in the short window even on a busy machine.
    const refresh = () => app.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: 'x' }, as: null });
    assert.equal(await statusOf(await refresh()), 401);
    assert.equal(await statusOf(await refresh()), 401);
    await expectLimited(await refresh(), 2);
    await waitFor(async () => (await statusOf(await refresh())) === 401, {
      timeoutMs: 10_000,
      intervalMs: 250,
      what: 'the rate-limit window to reset',
    });
  });
});

describe(
  'auth rate limits are shared by API processes (real, two processes)',
  { skip: await skipUnless('real') },
  () => {
    const LIMIT = 5;
    let infra: RealInfra;
    let apis: OrdoProcess[];
    before(async () => {
      infra = await createRealInfra('auth-rl');
      const env = { ...infra.env, MODE: 'api', AUTH_RATE_LIMIT: String(LIMIT), AUTH_RATE_LIMIT_WINDOW_MS: '60000' };
      apis = await Promise.all([startOrdoProcess(env, { label: 'api-1' }), startOrdoProcess(env, { label: 'api-2' })]);
    });
    after(async () => {
      await stopAllProcesses();
      await infra?.cleanup();
    });

    it('refuses the sixth login attempt overall, with requests alternating between the two processes', async () => {
      const via = (index: number): Post => {
        const api = apis[index % 2]!;
        return (path, json) => api.request(path, { method: 'POST', json, as: null });
      };
      for (let attempt = 0; attempt < LIMIT; attempt++) {
        const status = await statusOf(await wrongLogin(via(attempt), TEST_ADMIN.email));
        assert.equal(status, 401, `attempt ${attempt + 1} through ${apis[attempt % 2]!.label}`);
      }
      // Each process saw only two or three attempts; the shared counter has seen five.
      await expectLimited(await wrongLogin(via(LIMIT), TEST_ADMIN.email), 60);
      await expectLimited(await wrongLogin(via(LIMIT + 1), TEST_ADMIN.email), 60);
      // Another account from the same IP: the shared per-IP counter is spent as well.
      await expectLimited(await wrongLogin(via(LIMIT + 2), uniqueEmail()), 60);
    });
  },
);
