import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { TEST_ADMIN } from '../support/auth.js';
import { expectProblem, type Problem } from '../support/problems.js';

interface UserView {
  id: string;
  email: string;
  name: string;
  phone: string | null;
  role: string;
  tenantCode: string | null;
  status: string;
  createdAt: string;
  updatedAt: string;
}

interface UserPage {
  data: UserView[];
  meta: { page: number; per_page: number; total: number };
}

const PASSWORD = 'correct-horse-battery';

async function expectJson<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

function fields(problem: Problem): string[] {
  return (problem.errors ?? []).map((error) => error.field);
}

for (const kind of ['embedded', 'real'] as const) {
  describe(`users admin API (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    /** A tenant row for MERCHANT accounts: a fixture, so this suite does not depend on provisioning. */
    const tenantCode = 'users_test_shop';

    const createUser = async (body: Record<string, unknown>): Promise<UserView> =>
      expectJson<UserView>(await app.request('/api/users', { method: 'POST', json: body }), 201);

    const signIn = async (email: string, password = PASSWORD): Promise<string> => {
      const response = await app.request('/api/auth/login', { method: 'POST', json: { email, password }, as: null });
      return (await expectJson<{ access_token: string }>(response, 200)).access_token;
    };

    const list = async (query: string): Promise<UserPage> =>
      expectJson<UserPage>(await app.request(`/api/users?${query}`), 200);

    before(async () => {
      app = await startTestApp(kind);
      const database = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
      await database.query(
        sql`insert into tenants (code, name, currency, pickup_lat, pickup_lng, pickup_address)
            values (${tenantCode}, 'Users Test Shop', 'EUR', 52.52, 13.405, 'Alexanderplatz 1, Berlin')`,
      );
    });
    after(async () => {
      await app?.close();
    });

    it('creates, reads, updates and deletes a user', async () => {
      const created = await createUser({
        email: 'Round.Trip@Example.com',
        password: PASSWORD,
        name: 'Round Trip',
        phone: '+49 30 1234567',
        role: 'CUSTOMER',
      });
      assert.match(created.id, /^[0-9a-f-]{36}$/);
      assert.equal(created.email, 'Round.Trip@Example.com');
      assert.equal(created.role, 'CUSTOMER');
      assert.equal(created.status, 'ACTIVE');
      assert.equal(created.tenantCode, null);
      assert.equal(created.phone, '+49 30 1234567');
      assert.equal('passwordHash' in created, false, 'the hash never leaves the server');

      assert.deepEqual(await expectJson<UserView>(await app.request(`/api/users/${created.id}`), 200), created);

      const patched = await expectJson<UserView>(
        await app.request(`/api/users/${created.id}`, { method: 'PATCH', json: { name: 'Renamed', phone: null } }),
        200,
      );
      assert.equal(patched.name, 'Renamed');
      assert.equal(patched.phone, null);
      assert.equal(patched.email, created.email);
      assert.deepEqual(await expectJson<UserView>(await app.request(`/api/users/${created.id}`), 200), patched);

      const deleted = await app.request(`/api/users/${created.id}`, { method: 'DELETE' });
      assert.equal(deleted.status, 204);
      await expectProblem(await app.request(`/api/users/${created.id}`), 404);
      await expectProblem(await app.request(`/api/users/${created.id}`, { method: 'DELETE' }), 404);
      await expectProblem(await app.request(`/api/users/${created.id}`, { method: 'PATCH', json: { name: 'x' } }), 404);
    });

    it('paginates with meta { page, per_page, total } and searches email and name', async () => {
      const made: UserView[] = [];
      for (const n of [1, 2, 3]) {
        made.push(
          await createUser({
            email: `pager${n}@example.com`,
            password: PASSWORD,
            name: `Pager Person ${n}`,
            role: 'CUSTOMER',
          }),
        );
      }
      const first = await list('q=PAGER&per_page=2&page=1');
      assert.deepEqual(first.meta, { page: 1, per_page: 2, total: 3 });
      assert.equal(first.data.length, 2);
      const second = await list('q=pager&per_page=2&page=2');
      assert.deepEqual(second.meta, { page: 2, per_page: 2, total: 3 });
      assert.equal(second.data.length, 1);
      assert.deepEqual(
        [...first.data, ...second.data].map((user) => user.id),
        made.map((user) => user.id),
        'oldest first, no overlap between pages',
      );
      assert.equal((await list('q=person%202')).data[0]?.id, made[1]?.id, 'q matches the name too');
      assert.equal((await list('q=%25')).meta.total, 0, 'q is literal text, % is not a wildcard');

      const defaults = await list('');
      assert.equal(defaults.meta.page, 1);
      assert.equal(defaults.meta.per_page, 20);

      await expectProblem(await app.request('/api/users?per_page=101'), 400);
      const unknown = await expectProblem(await app.request('/api/users?sort=email'), 400);
      assert.deepEqual(fields(unknown), ['sort']);
    });

    it('filters by role', async () => {
      await createUser({ email: 'driver1@example.com', password: PASSWORD, name: 'Driver One', role: 'DRIVER' });
      await createUser({ email: 'driver2@example.com', password: PASSWORD, name: 'Driver Two', role: 'DRIVER' });
      const drivers = await list('role=DRIVER');
      assert.equal(drivers.meta.total, 2);
      assert.ok(drivers.data.every((user) => user.role === 'DRIVER'));
      const admins = await list('role=ADMIN');
      assert.deepEqual(
        admins.data.map((user) => user.email),
        [TEST_ADMIN.email],
      );
      const bad = await expectProblem(await app.request('/api/users?role=ROOT'), 400);
      assert.deepEqual(fields(bad), ['role']);
    });

    it('refuses a duplicate email in another case with 409 naming email', async () => {
      await createUser({ email: 'dup@example.com', password: PASSWORD, name: 'First', role: 'CUSTOMER' });
      const response = await app.request('/api/users', {
        method: 'POST',
        json: { email: 'DUP@Example.COM', password: PASSWORD, name: 'Second', role: 'DRIVER' },
      });
      const problem = await expectProblem(response, 409);
      assert.deepEqual(fields(problem), ['email']);
    });

    it('lets exactly one of two simultaneous creations with the same email win', async () => {
      const attempt = (email: string) =>
        app.request('/api/users', {
          method: 'POST',
          json: { email, password: PASSWORD, name: 'Racer', role: 'CUSTOMER' },
        });
      const statuses = (await Promise.all([attempt('race@example.com'), attempt('RACE@example.com')])).map(
        (r) => r.status,
      );
      assert.deepEqual(statuses.sort(), [201, 409]);
    });

    it('validates the body strictly', async () => {
      const short = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: { email: 'short@example.com', password: 'seven77', name: 'Short', role: 'CUSTOMER' },
        }),
        400,
      );
      assert.deepEqual(fields(short), ['password']);
      const unknown = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: { email: 'x@example.com', password: PASSWORD, name: 'X', role: 'CUSTOMER', isAdmin: true },
        }),
        400,
      );
      assert.deepEqual(fields(unknown), ['isAdmin']);
      const patch = await expectProblem(
        await app.request(`/api/users/${randomUUID()}`, { method: 'PATCH', json: { email: 'new@example.com' } }),
        400,
      );
      assert.deepEqual(fields(patch), ['email']);
      const deleted = await expectProblem(
        await app.request(`/api/users/${randomUUID()}`, { method: 'PATCH', json: { status: 'DELETED' } }),
        400,
      );
      assert.deepEqual(fields(deleted), ['status'], 'deleting goes through DELETE');
      const badId = await expectProblem(await app.request('/api/users/not-a-uuid'), 400);
      assert.deepEqual(fields(badId), ['id']);
      await expectProblem(await app.request(`/api/users/${randomUUID()}`), 404);
    });

    it('binds a MERCHANT to an existing tenant, and only a MERCHANT', async () => {
      const missing = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: { email: 'merchant@example.com', password: PASSWORD, name: 'Merchant', role: 'MERCHANT' },
        }),
        400,
      );
      assert.deepEqual(fields(missing), ['tenantCode']);

      const unknownTenant = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: {
            email: 'merchant@example.com',
            password: PASSWORD,
            name: 'Merchant',
            role: 'MERCHANT',
            tenantCode: 'no_such_shop',
          },
        }),
        400,
      );
      assert.deepEqual(fields(unknownTenant), ['tenantCode']);

      const badCode = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: {
            email: 'merchant@example.com',
            password: PASSWORD,
            name: 'Merchant',
            role: 'MERCHANT',
            tenantCode: '../x',
          },
        }),
        400,
      );
      assert.deepEqual(fields(badCode), ['tenantCode']);

      const forbidden = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: { email: 'customer-t@example.com', password: PASSWORD, name: 'Customer', role: 'CUSTOMER', tenantCode },
        }),
        400,
      );
      assert.deepEqual(fields(forbidden), ['tenantCode']);

      const merchant = await createUser({
        email: 'merchant@example.com',
        password: PASSWORD,
        name: 'Merchant',
        role: 'MERCHANT',
        tenantCode,
      });
      assert.equal(merchant.tenantCode, tenantCode);

      // Another role drops the tenant; back to MERCHANT needs one again.
      const customer = await expectJson<UserView>(
        await app.request(`/api/users/${merchant.id}`, { method: 'PATCH', json: { role: 'CUSTOMER' } }),
        200,
      );
      assert.equal(customer.tenantCode, null);
      const again = await expectProblem(
        await app.request(`/api/users/${merchant.id}`, { method: 'PATCH', json: { role: 'MERCHANT' } }),
        400,
      );
      assert.deepEqual(fields(again), ['tenantCode']);
      const restored = await expectJson<UserView>(
        await app.request(`/api/users/${merchant.id}`, { method: 'PATCH', json: { role: 'MERCHANT', tenantCode } }),
        200,
      );
      assert.equal(restored.tenantCode, tenantCode);
      const clearing = await expectProblem(
        await app.request(`/api/users/${merchant.id}`, { method: 'PATCH', json: { tenantCode: null } }),
        400,
      );
      assert.deepEqual(fields(clearing), ['tenantCode']);
    });

    it('disabling a user rejects their existing access token on the very next request', async () => {
      const user = await createUser({
        email: 'disable-me@example.com',
        password: PASSWORD,
        name: 'Soon Disabled',
        role: 'CUSTOMER',
      });
      const token = await signIn(user.email);
      // 403 (not 401): the token is accepted, the route is for admins. This also warms the session cache.
      await expectProblem(await app.request('/api/users', { as: token }), 403);

      const disabled = await expectJson<UserView>(
        await app.request(`/api/users/${user.id}`, { method: 'PATCH', json: { status: 'DISABLED' } }),
        200,
      );
      assert.equal(disabled.status, 'DISABLED');
      await expectProblem(await app.request('/api/users', { as: token }), 401);
      await expectProblem(
        await app.request('/api/auth/login', {
          method: 'POST',
          json: { email: user.email, password: PASSWORD },
          as: null,
        }),
        401,
      );

      // Enabled again: old sessions stay revoked, a new sign-in works.
      await expectJson<UserView>(
        await app.request(`/api/users/${user.id}`, { method: 'PATCH', json: { status: 'ACTIVE' } }),
        200,
      );
      await expectProblem(await app.request('/api/users', { as: token }), 401);
      await expectProblem(await app.request('/api/users', { as: await signIn(user.email) }), 403);
    });

    it('a role change signs the user out, and their next sign-in carries the new role', async () => {
      const user = await createUser({
        email: 'promote-me@example.com',
        password: PASSWORD,
        name: 'Promoted',
        role: 'CUSTOMER',
      });
      const token = await signIn(user.email);
      await expectProblem(await app.request('/api/users', { as: token }), 403);
      await expectJson<UserView>(
        await app.request(`/api/users/${user.id}`, { method: 'PATCH', json: { role: 'ADMIN' } }),
        200,
      );
      await expectProblem(await app.request('/api/users', { as: token }), 401);
      await expectJson<UserPage>(await app.request('/api/users', { as: await signIn(user.email) }), 200);
    });

    it('a deleted user cannot sign in and is not listed', async () => {
      const user = await createUser({
        email: 'delete-me@example.com',
        password: PASSWORD,
        name: 'Soon Deleted',
        role: 'DRIVER',
      });
      const token = await signIn(user.email);
      assert.equal((await list('q=delete-me')).meta.total, 1);

      assert.equal((await app.request(`/api/users/${user.id}`, { method: 'DELETE' })).status, 204);
      await expectProblem(await app.request('/api/users', { as: token }), 401);
      await expectProblem(
        await app.request('/api/auth/login', {
          method: 'POST',
          json: { email: user.email, password: PASSWORD },
          as: null,
        }),
        401,
      );
      const listed = await list('q=delete-me');
      assert.equal(listed.meta.total, 0);
      assert.deepEqual(listed.data, []);
      assert.equal(
        (await list('role=DRIVER')).data.some((row) => row.id === user.id),
        false,
      );

      // The email stays reserved.
      const reuse = await expectProblem(
        await app.request('/api/users', {
          method: 'POST',
          json: { email: user.email, password: PASSWORD, name: 'Impostor', role: 'DRIVER' },
        }),
        409,
      );
      assert.deepEqual(fields(reuse), ['email']);
    });

    it('an admin cannot delete, disable or demote themselves', async () => {
      const [self] = (await list(`role=ADMIN&q=${encodeURIComponent(TEST_ADMIN.email)}`)).data;
      assert.ok(self);
      const deleting = await expectProblem(await app.request(`/api/users/${self.id}`, { method: 'DELETE' }), 409);
      assert.match(deleting.detail ?? '', /cannot delete your own account/);
      const disabling = await expectProblem(
        await app.request(`/api/users/${self.id}`, { method: 'PATCH', json: { status: 'DISABLED' } }),
        409,
      );
      assert.match(disabling.detail ?? '', /cannot disable your own account/);
      const demoting = await expectProblem(
        await app.request(`/api/users/${self.id}`, { method: 'PATCH', json: { role: 'CUSTOMER' } }),
        409,
      );
      assert.match(demoting.detail ?? '', /cannot change your own role/);

      // Still an active admin, and may still edit their own name.
      const renamed = await expectJson<UserView>(
        await app.request(`/api/users/${self.id}`, { method: 'PATCH', json: { name: 'Chief Admin' } }),
        200,
      );
      assert.equal(renamed.name, 'Chief Admin');
      assert.equal(renamed.role, 'ADMIN');
      assert.equal(renamed.status, 'ACTIVE');
    });

    it('emits user.created, user.updated (before/after) and user.deleted through the outbox', async () => {
      const user = await createUser({
        email: 'evented@example.com',
        password: PASSWORD,
        name: 'Evented',
        role: 'CUSTOMER',
      });
      await app.request(`/api/users/${user.id}`, { method: 'PATCH', json: { name: 'Evented Again' } });
      await app.request(`/api/users/${user.id}`, { method: 'DELETE' });
      const database = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
      const events = await database.query<{
        type: string;
        payload: Record<string, { name?: string; status?: string }>;
      }>(sql`select type, payload from outbox where aggregate_id = ${user.id} order by occurred_at, id`);
      assert.deepEqual(
        events.map((event) => event.type),
        ['user.created', 'user.updated', 'user.deleted'],
      );
      const [, updated, deleted] = events;
      assert.equal(updated?.payload.before?.name, 'Evented');
      assert.equal(updated?.payload.after?.name, 'Evented Again');
      assert.equal(deleted?.payload.before?.status, 'ACTIVE');
      assert.equal(JSON.stringify(events).includes('argon2'), false, 'no password hash in events');
    });
  });
}
