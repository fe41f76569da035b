import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { SessionStatus } from '../../src/modules/auth/session-status.js';
import { skipUnless, startTestApp, type InfraKind, type TestApp } from '../support/app.js';
import type { TestRequest } from '../support/auth.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import { customer, readyTenant, signIn, staffMember, type Person } from '../support/people.js';
import { startOrdoProcess, stopAllProcesses } from '../support/processes.js';
import { Shop } from '../support/shop.js';
import { RealtimeClient } from '../support/sockets.js';
import { waitFor } from '../support/wait-for.js';

// Sockets follow sessions (issue #13): a socket lives no longer than the access token it signed in
// with would be accepted over HTTP, on whichever API process it is connected to.

/** Something serving HTTP and sockets: an in-process app or an API child process. */
interface Api {
  url: string;
  request: TestRequest;
}

/** How soon after the change that ends a session its sockets must be gone, in every process. */
const WITHIN_MS = 1_000;

/** Three processes starting at once on a busy machine take their time. */
const READY_MS = 120_000;

const sessionOf = (token: string) => String(decodeJwt(token).sid);
const expiryOf = (token: string) => Number(decodeJwt(token).exp) * 1000;

async function refreshed(api: Api, person: Person): Promise<Response> {
  return api.request('/api/auth/refresh', { method: 'POST', json: { refresh_token: person.refreshToken }, as: null });
}

/** Opens sockets and closes every one of them after the suite. */
class Sockets {
  private readonly open: RealtimeClient[] = [];

  async connect(api: Api, token: string): Promise<RealtimeClient> {
    const client = await RealtimeClient.connect(api.url, token);
    this.open.push(client);
    return client;
  }

  closeAll(): void {
    for (const client of this.open) client.close();
  }
}

/**
 * Every way a session ends, each with sockets on both `one` and `two` (the same process embedded, two
 * API processes on real infrastructure) and a bystander that must keep its socket.
 */
function sessionEndings(apis: () => { one: Api; two: Api }, sockets: Sockets): void {
  it('logging out ends the session’s sockets on every process; the user’s other session keeps its own', async () => {
    const { one, two } = apis();
    const me = await customer(one, 'logout');
    const elsewhere = await signIn(one, me.email);
    const [here, there, otherSession] = await Promise.all([
      sockets.connect(one, me.token),
      sockets.connect(two, me.token),
      sockets.connect(two, elsewhere.token),
    ]);
    assert.equal((await one.request('/api/auth/logout', { method: 'POST', as: me.token })).status, 204);
    await Promise.all([here.waitForEnd(WITHIN_MS), there.waitForEnd(WITHIN_MS)]);
    assert.ok(await otherSession.stillServed(), 'a socket of another session of the same user stays');
    await assert.rejects(sockets.connect(two, me.token), /unauthorized/, 'nor can the token connect again');
  });

  it('deleting a session ends its sockets on every process', async () => {
    const { one, two } = apis();
    const me = await customer(one, 'revoke');
    const elsewhere = await signIn(one, me.email);
    const [here, there, otherSession] = await Promise.all([
      sockets.connect(one, me.token),
      sockets.connect(two, me.token),
      sockets.connect(one, elsewhere.token),
    ]);
    const deleted = await two.request(`/api/auth/sessions/${sessionOf(me.token)}`, {
      method: 'DELETE',
      as: elsewhere.token,
    });
    assert.equal(deleted.status, 204);
    await Promise.all([here.waitForEnd(WITHIN_MS), there.waitForEnd(WITHIN_MS)]);
    assert.ok(await otherSession.stillServed(), 'the session that revoked the other keeps its socket');
  });

  it('reusing a rotated refresh token ends the sockets of its session on every process', async () => {
    const { one, two } = apis();
    const me = await customer(one, 'reuse');
    const rotated = await refreshed(one, me);
    assert.equal(rotated.status, 200);
    const { access_token: fresh } = (await rotated.json()) as { access_token: string };
    const [here, there] = await Promise.all([sockets.connect(one, fresh), sockets.connect(two, me.token)]);
    assert.equal((await refreshed(two, me)).status, 401, 'the rotated refresh token is refused');
    await Promise.all([here.waitForEnd(WITHIN_MS), there.waitForEnd(WITHIN_MS)]);
  });

  it('disabling a user ends all their sockets, every session, every process; others keep theirs', async () => {
    const { one, two } = apis();
    const [me, bystander] = await Promise.all([customer(one, 'disabled'), customer(one, 'bystander')]);
    const elsewhere = await signIn(one, me.email);
    const mine = await Promise.all([
      sockets.connect(one, me.token),
      sockets.connect(two, me.token),
      sockets.connect(two, elsewhere.token),
    ]);
    const theirs = await sockets.connect(two, bystander.token);
    const disabled = await one.request(`/api/users/${me.id}`, { method: 'PATCH', json: { status: 'DISABLED' } });
    assert.equal(disabled.status, 200);
    await Promise.all(mine.map((socket) => socket.waitForEnd(WITHIN_MS)));
    assert.ok(await theirs.stillServed(), 'another user keeps their socket');
  });

  it('disabling a staff member ends their sockets on every process; the owner keeps theirs', async () => {
    const { one, two } = apis();
    const code = 'staffed_shop';
    const owner = await readyTenant(one, code);
    const staff = await staffMember(one, code, owner);
    const [here, there, owners] = await Promise.all([
      sockets.connect(one, staff.token),
      sockets.connect(two, staff.token),
      sockets.connect(two, owner.token),
    ]);
    const disabled = await two.request(`/api/users/${staff.id}`, { method: 'PATCH', json: { status: 'DISABLED' } });
    assert.equal(disabled.status, 200);
    await Promise.all([here.waitForEnd(WITHIN_MS), there.waitForEnd(WITHIN_MS)]);
    assert.ok(await owners.stillServed(), 'the owner keeps their socket');
  });

  it('auth.refresh takes only a good token of the socket’s own session, and a refused one changes nothing', async () => {
    const { one, two } = apis();
    const [me, stranger] = await Promise.all([customer(one, 'refusing'), customer(one, 'stranger')]);
    const elsewhere = await signIn(one, me.email);
    const socket = await sockets.connect(two, me.token);
    assert.deepEqual(await socket.refreshAuth('not-a-jwt'), { ok: false, error: 'unauthorized' });
    assert.equal((await socket.refreshAuth(stranger.token)).ok, false, 'another user’s token');
    assert.equal((await socket.refreshAuth(elsewhere.token)).ok, false, 'a token of another session');
    assert.deepEqual(await socket.socket.timeout(5_000).emitWithAck('auth.refresh', { token: 1 }), {
      ok: false,
      error: 'expected { token }',
    });
    assert.ok(await socket.stillServed(), 'the socket carries on with its own token');
  });
}

describe('sockets follow sessions (embedded, one process)', () => {
  let app: TestApp;
  const sockets = new Sockets();

  before(async () => {
    app = await startTestApp('embedded');
  });
  after(async () => {
    sockets.closeAll();
    await app?.close();
  });

  sessionEndings(() => ({ one: app, two: app }), sockets);

  it('order.watch re-checks the session: a socket that missed its session’s end is refused and ended', async () => {
    const shop = await Shop.open(app, 'watched_shop');
    const beans = await shop.product('Beans', 800, 5);
    const order = await shop.awaitingPayment(beans.id);
    const socket = await sockets.connect(app, shop.shopper.token);
    assert.equal((await socket.watch(shop.code, order.id)).ok, true, 'allowed while the session lives');

    // The session ends behind the gateway's back, as when the process that revoked it died before it
    // could drop its sockets: only the row and the cached check change.
    const sessionId = sessionOf(shop.shopper.token);
    const control = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
    await control.query(sql`update sessions set revoked_at = now(), revoked_reason = 'test' where id = ${sessionId}`);
    await app.ordo.app.get(SessionStatus).forget([sessionId]);

    assert.deepEqual(await socket.watch(shop.code, order.id), { ok: false, error: 'unauthorized' });
    await socket.waitForEnd(WITHIN_MS);
  });
});

describe(
  'sockets follow sessions across two API processes (real infrastructure)',
  { skip: await skipUnless('real') },
  () => {
    let infra: RealInfra;
    let one: Api;
    let two: Api;
    const sockets = new Sockets();

    before(async () => {
      infra = await createRealInfra('sessions');
      const [apiOne, apiTwo] = await Promise.all([
        startOrdoProcess({ ...infra.env, MODE: 'api' }, { label: 'api-1', readyTimeoutMs: READY_MS }),
        startOrdoProcess({ ...infra.env, MODE: 'api' }, { label: 'api-2', readyTimeoutMs: READY_MS }),
        // Provisions the tenant the staff scenario needs.
        startOrdoProcess({ ...infra.env, MODE: 'worker' }, { label: 'worker', readyTimeoutMs: READY_MS }),
      ]);
      one = { url: apiOne.url!, request: apiOne.request };
      two = { url: apiTwo.url!, request: apiTwo.request };
    });
    after(async () => {
      sockets.closeAll();
      await stopAllProcesses();
      await infra?.cleanup();
    });

    sessionEndings(() => ({ one, two }), sockets);
  },
);

/** Short enough to watch tokens expire, long enough for a loaded machine to connect first. */
const TTL_SECONDS = 6;
/** A timer's end may lag its deadline on a loaded machine; the test process also runs the app. */
const EXPIRY_SLACK_MS = 2_000;

/** The person with a new pair of tokens: the access token has all of its TTL ahead (a refresh hashes no password). */
async function withFreshTokens(api: Api, person: Person): Promise<Person> {
  const response = await refreshed(api, person);
  assert.equal(response.status, 200, await response.clone().text());
  const body = (await response.json()) as { access_token: string; refresh_token: string };
  return { ...person, token: body.access_token, refreshToken: body.refresh_token };
}

for (const kind of ['embedded', 'real'] as InfraKind[]) {
  describe(`a socket lives as long as its access token (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    const sockets = new Sockets();

    before(async () => {
      // Tokens that expire within the test; only self-service routes are used (the admin's would expire).
      app = await startTestApp(kind, { ACCESS_TOKEN_TTL_SECONDS: String(TTL_SECONDS) });
    });
    after(async () => {
      sockets.closeAll();
      await app?.close();
    });

    it('ends when its access token expires, not before', async () => {
      const me = await withFreshTokens(app, await customer(app, 'expiring'));
      const socket = await sockets.connect(app, me.token);
      const expiresAt = expiryOf(me.token);
      const ended = await socket.waitForEnd(expiresAt - Date.now() + EXPIRY_SLACK_MS);
      assert.ok(ended.at >= expiresAt - 50, `ended ${expiresAt - ended.at} ms before the token expired`);
      await assert.rejects(sockets.connect(app, me.token), /unauthorized/, 'the expired token cannot connect again');
    });

    it('handed a fresher token of its session (auth.refresh), outlives the first and ends with the fresher', async () => {
      const me = await withFreshTokens(app, await customer(app, 'refreshing'));
      const socket = await sockets.connect(app, me.token);
      const firstExpiry = expiryOf(me.token);
      // Expiries are whole seconds: a token issued two seconds later expires at least two seconds later.
      const issuedAt = firstExpiry - TTL_SECONDS * 1000;
      await waitFor(() => Date.now() >= issuedAt + 2_050, { what: 'two seconds to pass' });
      const fresher = (await withFreshTokens(app, me)).token;
      const laterExpiry = expiryOf(fresher);
      assert.ok(laterExpiry >= firstExpiry + 2_000);

      assert.deepEqual(await socket.refreshAuth(fresher), { ok: true, expiresAt: new Date(laterExpiry).toISOString() });
      await waitFor(() => Date.now() >= firstExpiry + 300, { what: 'the first token to have expired' });
      assert.ok(await socket.stillServed(), 'still served after the first token expired');
      const ended = await socket.waitForEnd(laterExpiry - Date.now() + EXPIRY_SLACK_MS);
      assert.ok(ended.at >= laterExpiry - 50, 'ended when the fresher token expired');
    });
  });
}
