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

  it('counts per account across IPs, and per IP across accounts', async () => {
    const limiter = app.ordo.app.get(AuthRateLimiter);
    const account = rateLimitAccount('login', { email: `Someone-${randomUUID()}@Example.test` });
    assert.ok(account && account === account.toLowerCase(), 'emails count in lower case');
    // One account from ever new addresses: refused after the limit.
    const byAccount = [];
    for (let attempt = 1; attempt <= LIMIT + 1; attempt++) {
      byAccount.push((await limiter.check('login', `198.51.100.${attempt}`, account)).allowed);
    }
    assert.deepEqual(byAccount, [true, true, true, false]);
    // One address with ever new accounts: refused after the limit.
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
