import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { isUniqueViolation } from '../../src/infra/database/unique-violation.js';
import { usersRepository } from '../../src/modules/users/users.repository.js';
import { skipUnless, startTestApp, type InfraKind, type TestApp } from '../support/app.js';
import { TEST_ADMIN } from '../support/auth.js';
import { waitFor } from '../support/wait-for.js';
import { expectProblem } from '../support/problems.js';

interface UserView {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: string;
  tenantCode: string | null;
  status: string;
}

interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  user: UserView;
}

interface SessionView {
  id: string;
  device: string | null;
  ip: string | null;
  createdAt: string;
  lastUsedAt: string;
  current: boolean;
  revokedAt: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PASSWORD = 'correct horse battery staple';

/** Generous limits: this file tests the routes, auth-rate-limit.test.ts tests the limits. */
const ENV = { AUTH_RATE_LIMIT: '100000' };

/** Asserts an RFC 9457 answer with this status and returns its body. */

async function expectJson<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

const uniqueEmail = (label = 'user') => `${label}-${randomUUID()}@example.test`;

function assertTokenPair(pair: TokenPair, expiresIn: number): void {
  assert.equal(typeof pair.access_token, 'string');
  assert.equal(pair.access_token.split('.').length, 3, 'the access token is a JWT');
  assert.match(pair.refresh_token, /^[A-Za-z0-9_-]{43}$/, 'the refresh token is 256 random bits, base64url');
  assert.equal(pair.token_type, 'Bearer');
  assert.equal(pair.expires_in, expiresIn);
  assert.match(pair.user.id, UUID);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Helpers bound to one app. */
function client(app: TestApp) {
  const register = async (
    body: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): Promise<TokenPair & { email: string }> => {
    const email = uniqueEmail();
    const json = { email, password: PASSWORD, name: 'Test Customer', ...body };
    const pair = await expectJson<TokenPair>(
      await app.request('/api/auth/register', { method: 'POST', json, as: null, headers }),
      201,
    );
    return { ...pair, email: json.email };
  };
  const login = (email: string, password: string, headers: Record<string, string> = {}) =>
    app.request('/api/auth/login', { method: 'POST', json: { email, password }, as: null, headers });
  const refresh = (token: string) =>
    app.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: token }, as: null });
  const profile = (token: string) => app.request('/api/auth/profile', { as: token });
  const sessions = async (token: string): Promise<SessionView[]> =>
    (await expectJson<{ data: SessionView[] }>(await app.request('/api/auth/sessions', { as: token }), 200)).data;
  const control = () => app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
  const sessionRow = async (id: string) => {
    const [row] = await control().query<{ revoked_at: unknown; revoked_reason: string | null }>(
      sql`select revoked_at, revoked_reason from sessions where id = ${id}`,
    );
    assert.ok(row, `session ${id} exists`);
    return row;
  };
  return { register, login, refresh, profile, sessions, control, sessionRow };
}

/** The session id an access token carries (the JWT's `sid` claim). */
function sessionIdOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString('utf8')) as { sid: string };
  return payload.sid;
}

for (const kind of ['embedded', 'real'] as const satisfies InfraKind[]) {
  describe(`auth (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let api: ReturnType<typeof client>;
    before(async () => {
      app = await startTestApp(kind, ENV);
      api = client(app);
    });
    after(async () => {
      await app?.close();
    });

    describe('register and login', () => {
      it('registers a customer, signs in with the email in another case, and reads the profile', async () => {
        const email = `New.Customer-${randomUUID()}@Example.test`;
        const registered = await api.register({ email, phone: '+49 30 1234567' });
        assertTokenPair(registered, 900);
        assert.equal(registered.user.role, 'CUSTOMER');
        assert.equal(registered.user.email, email);
        assert.equal(registered.user.tenantCode, null);
        assert.equal(registered.user.status, 'ACTIVE');
        assert.equal(registered.user.phone, '+49 30 1234567');
        assert.ok(!('passwordHash' in registered.user), 'the password hash never leaves the server');

        // Registering signs in: the access token works at once.
        const own = await expectJson<UserView>(await api.profile(registered.access_token), 200);
        assert.equal(own.id, registered.user.id);

        const pair = await expectJson<TokenPair>(await api.login(email.toLowerCase(), PASSWORD), 200);
        assertTokenPair(pair, 900);
        assert.equal(pair.user.id, registered.user.id);
        assert.notEqual(sessionIdOf(pair.access_token), sessionIdOf(registered.access_token), 'a new session');

        const profile = await expectJson<UserView>(await api.profile(pair.access_token), 200);
        assert.deepEqual(profile, registered.user);
      });

      it('stores the password as an argon2id hash, never the password itself', async () => {
        const { user } = await api.register();
        const [row] = await api
          .control()
          .query<{ password_hash: string }>(sql`select password_hash from users where id = ${user.id}`);
        assert.match(row?.password_hash ?? '', /^\$argon2id\$/);
        assert.ok(!row?.password_hash.includes(PASSWORD));
      });

      it('emits user.registered and session.started with the new user as the actor', async () => {
        const { user, access_token } = await api.register();
        const events = await api.control().query<{ type: string; actor: string | null; payload: unknown }>(
          sql`select type, meta->>'actorId' as actor, payload from outbox
              where aggregate_id in (${user.id}, ${sessionIdOf(access_token)}) order by occurred_at, id`,
        );
        assert.deepEqual(
          events.map((event) => [event.type, event.actor]),
          [
            ['user.registered', user.id],
            ['session.started', user.id],
          ],
        );
        const registered = events[0]?.payload as { after: Record<string, unknown> };
        assert.equal(registered.after.email, user.email);
        assert.equal(registered.after.role, 'CUSTOMER');
        assert.ok(!JSON.stringify(events).includes('argon2'), 'no password hash in events');
      });

      it('refuses an email already registered in another case: 409 naming email', async () => {
        const { email } = await api.register();
        const response = await app.request('/api/auth/register', {
          method: 'POST',
          json: { email: email.toUpperCase(), password: PASSWORD, name: 'Twin' },
          as: null,
        });
        const body = await expectProblem(response, 409);
        assert.deepEqual(
          body.errors?.map((error) => error.field),
          ['email'],
        );
      });

      it('lets exactly one of two racing sign-ups with one email through', async () => {
        const email = uniqueEmail('race');
        const attempt = (address: string) =>
          app.request('/api/auth/register', {
            method: 'POST',
            json: { email: address, password: PASSWORD, name: 'Racer' },
            as: null,
          });
        const responses = await Promise.all([attempt(email), attempt(email.toUpperCase())]);
        assert.deepEqual(responses.map((response) => response.status).sort(), [201, 409]);
        const loser = responses.find((response) => response.status === 409)!;
        assert.deepEqual(
          (await expectProblem(loser, 409)).errors?.map((error) => error.field),
          ['email'],
        );
      });

      it('recognises the unique-index violation (23505) a racing insert hits on this database', async () => {
        const { email } = await api.register();
        const error = await api
          .control()
          .transaction((tx) =>
            usersRepository.insert(tx, {
              id: randomUUID(),
              email: email.toUpperCase(),
              name: 'Twin',
              passwordHash: 'x',
              role: 'CUSTOMER',
            }),
          )
          .then(
            () => assert.fail('the unique index lets a second account with this email in'),
            (caught: unknown) => caught,
          );
        assert.ok(isUniqueViolation(error), String(error));
        assert.ok(!isUniqueViolation(new Error('something else')));
      });

      it('refuses a password under 8 characters: 400 naming password', async () => {
        const response = await app.request('/api/auth/register', {
          method: 'POST',
          json: { email: uniqueEmail(), password: 'short7!', name: 'Shorty' },
          as: null,
        });
        const body = await expectProblem(response, 400);
        assert.deepEqual(
          body.errors?.map((error) => error.field),
          ['password'],
        );
      });

      it('refuses a missing name and a malformed email, naming both', async () => {
        const response = await app.request('/api/auth/register', {
          method: 'POST',
          json: { email: 'not-an-email', password: PASSWORD },
          as: null,
        });
        const body = await expectProblem(response, 400);
        assert.deepEqual(body.errors?.map((error) => error.field).sort(), ['email', 'name']);
      });

      it('refuses unknown fields on register, login and refresh: 400 naming them', async () => {
        const cases: [string, Record<string, unknown>][] = [
          ['/api/auth/register', { email: uniqueEmail(), password: PASSWORD, name: 'Sneaky', role: 'ADMIN' }],
          ['/api/auth/login', { email: TEST_ADMIN.email, password: TEST_ADMIN.password, role: 'ADMIN' }],
          ['/api/auth/refresh', { refresh_token: 'x', role: 'ADMIN' }],
        ];
        for (const [path, json] of cases) {
          const body = await expectProblem(await app.request(path, { method: 'POST', json, as: null }), 400);
          assert.deepEqual(body.errors, [{ field: 'role', message: 'unknown field' }], path);
        }
      });

      it('answers a wrong password and an unknown email with the same 401', async () => {
        const { email } = await api.register();
        const wrong = await expectProblem(await api.login(email, 'not the password'), 401);
        const unknown = await expectProblem(await api.login(uniqueEmail('nobody'), 'not the password'), 401);
        assert.deepEqual(wrong, unknown);
      });

      it('takes as long for an unknown email as for a wrong password (medians within a factor of 2)', async () => {
        const { email } = await api.register();
        const timed = async (address: string): Promise<number> => {
          const started = performance.now();
          const response = await api.login(address, 'not the password');
          await response.arrayBuffer();
          assert.equal(response.status, 401);
          return performance.now() - started;
        };
        // Warm both paths up, then alternate so drift in machine load hits both sides alike.
        await timed(email);
        await timed(uniqueEmail('nobody'));
        const unknown: number[] = [];
        const wrong: number[] = [];
        for (let round = 0; round < 5; round++) {
          unknown.push(await timed(uniqueEmail('nobody')));
          wrong.push(await timed(email));
        }
        const [a, b] = [median(unknown), median(wrong)];
        const ratio = Math.max(a, b) / Math.min(a, b);
        assert.ok(
          ratio < 2,
          `unknown email: median ${a.toFixed(1)} ms ${JSON.stringify(unknown.map(Math.round))}; ` +
            `wrong password: median ${b.toFixed(1)} ms ${JSON.stringify(wrong.map(Math.round))}`,
        );
      });
    });

    describe('refresh', () => {
      it('rotates: a new pair, the old refresh token then fails and revokes the session', async () => {
        const first = await api.register();
        const sessionId = sessionIdOf(first.access_token);
        const second = await expectJson<TokenPair>(await api.refresh(first.refresh_token), 200);
        assertTokenPair(second, 900);
        assert.notEqual(second.refresh_token, first.refresh_token);
        assert.equal(sessionIdOf(second.access_token), sessionId, 'the same session');
        assert.equal(second.user.id, first.user.id);
        await expectJson<UserView>(await api.profile(second.access_token), 200);

        // The first token again: reuse. 401, and the whole session is revoked.
        const reused = await expectProblem(await api.refresh(first.refresh_token), 401);
        await expectProblem(await api.profile(second.access_token), 401);
        await expectProblem(await api.refresh(second.refresh_token), 401);
        const row = await api.sessionRow(sessionId);
        assert.ok(row.revoked_at);
        assert.equal(row.revoked_reason, 'refresh token reuse');

        // The answer gives nothing away: the same as for a token that never existed.
        const unknown = await expectProblem(await api.refresh('no-such-token'), 401);
        assert.deepEqual(reused, unknown);
      });

      it('emits session.refreshed and session.revoked', async () => {
        const first = await api.register();
        const sessionId = sessionIdOf(first.access_token);
        await expectJson<TokenPair>(await api.refresh(first.refresh_token), 200);
        await expectProblem(await api.refresh(first.refresh_token), 401);
        const events = await api
          .control()
          .query<{ type: string; payload: { reason?: string } }>(
            sql`select type, payload from outbox where aggregate_id = ${sessionId} order by occurred_at, id`,
          );
        assert.deepEqual(
          events.map((event) => event.type),
          ['session.started', 'session.refreshed', 'session.revoked'],
        );
        assert.equal(events[2]?.payload.reason, 'refresh token reuse');
      });

      it('of two concurrent refreshes with one token, exactly one succeeds; the other revokes the session', async () => {
        const pair = await api.register();
        const responses = await Promise.all([api.refresh(pair.refresh_token), api.refresh(pair.refresh_token)]);
        assert.deepEqual(responses.map((response) => response.status).sort(), [200, 401]);
        const winner = await expectJson<TokenPair>(
          responses.find((response) => response.status === 200)!,
          200,
        );
        await expectProblem(
          responses.find((response) => response.status === 401)!,
          401,
        );
        // Reuse revoked the session: even the winner's fresh tokens are dead.
        await expectProblem(await api.profile(winner.access_token), 401);
        await expectProblem(await api.refresh(winner.refresh_token), 401);
        assert.equal((await api.sessionRow(sessionIdOf(pair.access_token))).revoked_reason, 'refresh token reuse');
      });

      it('refuses the refresh token of a signed-out session', async () => {
        const pair = await api.register();
        assert.equal((await app.request('/api/auth/logout', { method: 'POST', as: pair.access_token })).status, 204);
        await expectProblem(await api.refresh(pair.refresh_token), 401);
      });
    });

    describe('logout and sessions', () => {
      it('logout answers 204 and the access token is refused on the very next request', async () => {
        const pair = await api.register();
        // A first request caches "session active"; the logout must cut through that cache.
        await expectJson<UserView>(await api.profile(pair.access_token), 200);
        const response = await app.request('/api/auth/logout', { method: 'POST', as: pair.access_token });
        assert.equal(response.status, 204, await response.text());
        const body = await expectProblem(await api.profile(pair.access_token), 401);
        assert.match(body.detail ?? '', /revoked/);
        const row = await api.sessionRow(sessionIdOf(pair.access_token));
        assert.ok(row.revoked_at);
        assert.equal(row.revoked_reason, 'logout');
      });

      it('lists active sessions newest first with device, IP and current; deleting one cuts it off', async () => {
        const phone = await api.register({}, { 'user-agent': 'OrdoTest/1.0 (phone)' });
        const laptopResponse = await api.login(phone.email, PASSWORD, { 'user-agent': 'OrdoTest/1.0 (laptop)' });
        const laptop = await expectJson<TokenPair>(laptopResponse, 200);
        const phoneSession = sessionIdOf(phone.access_token);
        const laptopSession = sessionIdOf(laptop.access_token);

        const listed = await api.sessions(laptop.access_token);
        assert.deepEqual(
          listed.map((session) => [session.id, session.device, session.current]),
          [
            [laptopSession, 'OrdoTest/1.0 (laptop)', true],
            [phoneSession, 'OrdoTest/1.0 (phone)', false],
          ],
        );
        for (const session of listed) {
          assert.equal(session.ip, '127.0.0.1');
          assert.equal(session.revokedAt, null);
          assert.ok(!Number.isNaN(Date.parse(session.createdAt)));
          assert.ok(Date.parse(session.lastUsedAt) >= Date.parse(session.createdAt));
        }
        // From the phone, the phone is current.
        assert.deepEqual(
          (await api.sessions(phone.access_token)).filter((session) => session.current).map((session) => session.id),
          [phoneSession],
        );

        await expectJson<UserView>(await api.profile(phone.access_token), 200);
        const removed = await app.request(`/api/auth/sessions/${phoneSession}`, {
          method: 'DELETE',
          as: laptop.access_token,
        });
        assert.equal(removed.status, 204, await removed.text());
        await expectProblem(await api.profile(phone.access_token), 401);
        await expectProblem(await api.refresh(phone.refresh_token), 401);
        assert.deepEqual(
          (await api.sessions(laptop.access_token)).map((session) => session.id),
          [laptopSession],
        );
        // Deleting it again changes nothing.
        const again = await app.request(`/api/auth/sessions/${phoneSession}`, {
          method: 'DELETE',
          as: laptop.access_token,
        });
        assert.equal(again.status, 204);
      });

      it("answers someone else's session exactly like an unknown one: 404, and leaves it alone", async () => {
        const alice = await api.register();
        const bob = await api.register();
        const bobsSession = sessionIdOf(bob.access_token);
        const foreign = await expectProblem(
          await app.request(`/api/auth/sessions/${bobsSession}`, { method: 'DELETE', as: alice.access_token }),
          404,
        );
        const unknownId = randomUUID();
        const unknown = await expectProblem(
          await app.request(`/api/auth/sessions/${unknownId}`, { method: 'DELETE', as: alice.access_token }),
          404,
        );
        assert.deepEqual(
          { ...foreign, detail: foreign.detail?.replace(bobsSession, 'ID'), instance: undefined },
          { ...unknown, detail: unknown.detail?.replace(unknownId, 'ID'), instance: undefined },
        );
        await expectJson<UserView>(await api.profile(bob.access_token), 200);
        assert.equal((await api.sessionRow(bobsSession)).revoked_at, null);
        // Nor does anyone see another user's sessions.
        assert.ok(!(await api.sessions(alice.access_token)).some((session) => session.id === bobsSession));
      });

      it('answers a session id that is not a UUID with 400', async () => {
        const pair = await api.register();
        const body = await expectProblem(
          await app.request('/api/auth/sessions/not-a-uuid', { method: 'DELETE', as: pair.access_token }),
          400,
        );
        assert.deepEqual(
          body.errors?.map((error) => error.field),
          ['id'],
        );
      });

      it('needs a token for logout, profile and sessions', async () => {
        for (const [method, path] of [
          ['POST', '/api/auth/logout'],
          ['GET', '/api/auth/profile'],
          ['GET', '/api/auth/sessions'],
          ['DELETE', `/api/auth/sessions/${randomUUID()}`],
        ] as const) {
          await expectProblem(await app.request(path, { method, as: null }), 401);
        }
      });
    });

    describe('access tokens', () => {
      it('refuses a tampered token: 401 problem+json', async () => {
        const pair = await api.register();
        const [header, payload, signature] = pair.access_token.split('.') as [string, string, string];
        const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
        const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'ADMIN' })).toString('base64url');
        const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
        const unsigned = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
        for (const token of [
          `${header}.${promoted}.${signature}`,
          `${header}.${payload}.${flipped}`,
          `${unsigned}.${promoted}.`,
          'not-a-jwt',
        ]) {
          const body = await expectProblem(await api.profile(token), 401);
          assert.match(body.detail ?? '', /invalid, expired or revoked/);
        }
        await expectJson<UserView>(await api.profile(pair.access_token), 200);
      });

      it('documents every auth route with its auth requirement', async () => {
        const document = await expectJson<{
          paths: Record<string, Record<string, { security?: unknown[]; 'x-auth'?: string; responses: object }>>;
        }>(await app.request('/api/docs-json', { as: null }), 200);
        const expected: [string, string, 'public' | 'signed-in', boolean][] = [
          ['/api/auth/register', 'post', 'public', true],
          ['/api/auth/login', 'post', 'public', true],
          ['/api/auth/refresh', 'post', 'public', true],
          ['/api/auth/logout', 'post', 'signed-in', false],
          ['/api/auth/profile', 'get', 'signed-in', false],
          ['/api/auth/sessions', 'get', 'signed-in', false],
          ['/api/auth/sessions/{id}', 'delete', 'signed-in', false],
        ];
        for (const [path, method, auth, limited] of expected) {
          const operation = document.paths[path]?.[method];
          assert.ok(operation, `${method} ${path} is documented`);
          if (auth === 'public') assert.equal(operation['x-auth'], 'none', path);
          else assert.ok(operation.security?.length, `${path} documents its bearer token`);
          assert.equal('429' in operation.responses, limited, `${path} documents 429: ${limited}`);
        }
      });
    });
  });

  describe(`short-lived access tokens (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp(kind, { ...ENV, ACCESS_TOKEN_TTL_SECONDS: '1' });
    });
    after(async () => {
      await app?.close();
    });

    it('refuses an expired access token with 401 problem+json; the refresh token still gets a new one', async () => {
      const api = client(app);
      const pair = await api.register();
      assert.equal(pair.expires_in, 1);
      const expired = await waitFor(
        async () => {
          const response = await api.profile(pair.access_token);
          if (response.status === 200) return undefined;
          return response;
        },
        { timeoutMs: 5_000, what: 'the access token to expire' },
      );
      const body = await expectProblem(expired, 401);
      assert.match(body.detail ?? '', /invalid, expired or revoked/);
      const next = await expectJson<TokenPair>(await api.refresh(pair.refresh_token), 200);
      assert.equal(next.expires_in, 1);
      assert.equal(sessionIdOf(next.access_token), sessionIdOf(pair.access_token));
    });
  });
}
