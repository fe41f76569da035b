import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import {
  createVendor,
  daysFromToday,
  expectStatus,
  readyDriver,
  refresh,
  registerDriver,
  registrationBody,
  setOnline,
  signUp,
  verifyDriver,
  type DriverView,
  type Page,
  type VendorView,
} from '../support/fleet.js';
import { person } from '../support/people.js';
import { expectProblem } from '../support/problems.js';
import { waitFor } from '../support/wait-for.js';

for (const kind of ['embedded', 'real'] as const) {
  describe(`fleet: drivers (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let vendor: VendorView;

    before(async () => {
      app = await startTestApp(kind);
      vendor = await createVendor(app);
    });
    after(async () => {
      await app?.close();
    });

    it('a customer registers as a driver: PENDING, role DRIVER; old tokens are refused, a refresh gives a DRIVER token', async () => {
      const account = await signUp(app);
      const body = registrationBody(vendor.id, { licenceNumber: ' b072 rre2i55 ' });
      const created = await expectStatus<DriverView & { tokenRefreshRequired: boolean }>(
        await app.request('/api/drivers', { method: 'POST', json: body, as: account.token }),
        201,
      );
      assert.equal(created.status, 'PENDING');
      assert.equal(created.userId, account.id);
      assert.equal(created.vendorId, vendor.id);
      assert.equal(created.licenceNumber, 'B072RRE2I55', 'normalised: upper case, no spaces');
      assert.deepEqual([created.online, created.onlineSince, created.activeVehicleId], [false, null, null]);
      assert.equal(created.tokenRefreshRequired, true);

      // The CUSTOMER token no longer matches the account's role: refused at once.
      const stale = await expectProblem(await app.request('/api/auth/profile', { as: account.token }), 401);
      assert.match(stale.detail ?? '', /invalid, expired or revoked/);
      await expectProblem(await app.request('/api/drivers/me', { as: account.token }), 401);

      const driver = await refresh(app, account);
      assert.equal(driver.role, 'DRIVER');
      const me = await expectStatus<DriverView>(await app.request('/api/drivers/me', { as: driver.token }), 200);
      assert.equal(me.id, created.id);
      const profile = await expectStatus<{ role: string }>(
        await app.request('/api/auth/profile', { as: driver.token }),
        200,
      );
      assert.equal(profile.role, 'DRIVER');
      // Customers' routes are no longer theirs.
      await expectProblem(await app.request('/api/me/addresses', { as: driver.token }), 403);
    });

    it('registration validates every field (400 naming it) and refuses unknown fields', async () => {
      const account = await signUp(app);
      for (const [overrides, field] of [
        [{ licenceNumber: 'x' }, 'licenceNumber'],
        [{ licenceNumber: 'AB$123' }, 'licenceNumber'],
        [{ licenceClass: '' }, 'licenceClass'],
        [{ licenceExpiry: '2030-13-01' }, 'licenceExpiry'],
        [{ licenceExpiry: daysFromToday(-1) }, 'licenceExpiry'],
        [{ vendorId: 'not-a-uuid' }, 'vendorId'],
        [{ phone: 'call me' }, 'phone'],
        [{ nickname: 'Speedy' }, 'nickname'],
      ] as const) {
        const problem = await expectProblem(
          await app.request('/api/drivers', {
            method: 'POST',
            json: registrationBody(vendor.id, overrides),
            as: account.token,
          }),
          400,
        );
        assert.ok(
          problem.errors?.some((error) => error.field === field),
          `${field}: ${JSON.stringify(problem)}`,
        );
      }
      const missing = await expectProblem(
        await app.request('/api/drivers', { method: 'POST', json: {}, as: account.token }),
        400,
      );
      for (const field of ['licenceNumber', 'licenceClass', 'licenceExpiry', 'vendorId', 'phone'])
        assert.ok(
          missing.errors?.some((error) => error.field === field),
          field,
        );
      const noVendor = await expectProblem(
        await app.request('/api/drivers', {
          method: 'POST',
          json: registrationBody(randomUUID()),
          as: account.token,
        }),
        400,
      );
      assert.deepEqual(noVendor.errors, [{ field: 'vendorId', message: 'no such vendor' }]);
      // Nothing changed: still a customer.
      const profile = await expectStatus<{ role: string }>(
        await app.request('/api/auth/profile', { as: account.token }),
        200,
      );
      assert.equal(profile.role, 'CUSTOMER');
    });

    it('a licence number is registered once (409 naming the field); only customers register (403)', async () => {
      const first = await registerDriver(app, vendor.id);
      const other = await signUp(app);
      const taken = await expectProblem(
        await app.request('/api/drivers', {
          method: 'POST',
          json: registrationBody(vendor.id, { licenceNumber: first.driver.licenceNumber.toLowerCase() }),
          as: other.token,
        }),
        409,
      );
      assert.deepEqual(taken.errors, [{ field: 'licenceNumber', message: 'already registered' }]);
      await expectStatus(await app.request('/api/auth/profile', { as: other.token }), 200);

      // A registered driver (now DRIVER) cannot register again, nor can an admin.
      await expectProblem(
        await app.request('/api/drivers', { method: 'POST', json: registrationBody(vendor.id), as: first.token }),
        403,
      );
      await expectProblem(
        await app.request('/api/drivers', { method: 'POST', json: registrationBody(vendor.id) }),
        403,
      );
    });

    it('a user made DRIVER by an admin has no driver profile: 404 with the way to get one', async () => {
      const driver = await person(app, 'DRIVER');
      const problem = await expectProblem(await app.request('/api/drivers/me', { as: driver.token }), 404);
      assert.match(problem.detail ?? '', /POST \/api\/drivers/);
    });

    it('admins list drivers, paginated, filtered by status and vendor', async () => {
      const ownVendor = await createVendor(app);
      const drivers = [];
      for (let i = 0; i < 3; i++) drivers.push(await registerDriver(app, ownVendor.id));
      await verifyDriver(app, drivers[1]!.driver.id);

      const all = await expectStatus<Page<DriverView>>(
        await app.request(`/api/drivers?vendorId=${ownVendor.id}&per_page=2`),
        200,
      );
      assert.deepEqual(all.meta, { page: 1, per_page: 2, total: 3 });
      assert.deepEqual(
        all.data.map((driver) => driver.id),
        [drivers[0]!.driver.id, drivers[1]!.driver.id],
      );
      const pending = await expectStatus<Page<DriverView>>(
        await app.request(`/api/drivers?vendorId=${ownVendor.id}&status=PENDING`),
        200,
      );
      assert.deepEqual(
        pending.data.map((driver) => driver.id),
        [drivers[0]!.driver.id, drivers[2]!.driver.id],
      );
      await expectProblem(await app.request('/api/drivers?status=ASLEEP'), 400);
      await expectProblem(await app.request('/api/drivers', { as: drivers[0]!.token }), 403);
    });

    it("GET /api/drivers/:id: an admin reads anyone, a driver only themself (someone else's is a 404)", async () => {
      const [alice, bob] = [await registerDriver(app, vendor.id), await registerDriver(app, vendor.id)];
      const byAdmin = await expectStatus<DriverView>(await app.request(`/api/drivers/${alice.driver.id}`), 200);
      assert.equal(byAdmin.userId, alice.id);
      await expectStatus(await app.request(`/api/drivers/${alice.driver.id}`, { as: alice.token }), 200);
      const theirs = await expectProblem(await app.request(`/api/drivers/${alice.driver.id}`, { as: bob.token }), 404);
      const nobodys = await expectProblem(await app.request(`/api/drivers/${randomUUID()}`, { as: bob.token }), 404);
      assert.equal(theirs.type, nobodys.type);
      assert.equal(theirs.detail?.replace(alice.driver.id, 'X'), nobodys.detail?.replace(/[0-9a-f-]{36}/, 'X'));
    });

    it('admins verify and reject licences; illegal moves are 409; a reason is required', async () => {
      const driver = await registerDriver(app, vendor.id);
      const path = `/api/drivers/${driver.driver.id}`;
      const noReason = await expectProblem(await app.request(`${path}/reject`, { method: 'POST', json: {} }), 400);
      assert.ok(noReason.errors?.some((error) => error.field === 'reason'));
      await expectProblem(
        await app.request(`${path}/reject`, { method: 'POST', json: { reason: 'x', extra: 1 } }),
        400,
      );

      const verified = await verifyDriver(app, driver.driver.id);
      assert.equal(verified.status, 'VERIFIED');
      assert.ok(verified.verifiedAt);
      const again = await expectProblem(await app.request(`${path}/verify`, { method: 'POST' }), 409);
      assert.match(again.detail ?? '', /VERIFIED to VERIFIED/);

      const rejected = await expectStatus<DriverView>(
        await app.request(`${path}/reject`, { method: 'POST', json: { reason: 'Licence photo unreadable' } }),
        200,
      );
      assert.deepEqual(
        [rejected.status, rejected.rejectionReason, rejected.verifiedAt],
        ['REJECTED', 'Licence photo unreadable', null],
      );
      await expectProblem(await app.request(`${path}/reject`, { method: 'POST', json: { reason: 'again' } }), 409);
      const reversed = await verifyDriver(app, driver.driver.id);
      assert.deepEqual([reversed.status, reversed.rejectionReason], ['VERIFIED', null]);

      await expectProblem(await app.request(`${path}/verify`, { method: 'POST', as: driver.token }), 403);
      await expectProblem(await app.request(`/api/drivers/${randomUUID()}/verify`, { method: 'POST' }), 404);
    });

    it('rejecting an online driver takes them offline in the same change', async () => {
      const driver = await readyDriver(app, vendor.id);
      await expectStatus(await setOnline(app, driver.token, true), 200);
      const rejected = await expectStatus<DriverView>(
        await app.request(`/api/drivers/${driver.driver.id}/reject`, {
          method: 'POST',
          json: { reason: 'Licence revoked by the authority' },
        }),
        200,
      );
      assert.deepEqual([rejected.status, rejected.online, rejected.onlineSince], ['REJECTED', false, null]);
    });

    it('registration, the role change and verification are audited', async () => {
      const driver = await registerDriver(app, vendor.id);
      await verifyDriver(app, driver.driver.id);
      const actions = await waitFor(
        async () => {
          const found = await expectStatus<Page<{ action: string; actorId: string | null }>>(
            await app.request(`/api/audit-logs?entityId=${driver.driver.id}`),
            200,
          );
          return found.meta.total >= 2 ? found.data : undefined;
        },
        { timeoutMs: 15_000, what: 'the driver audit entries' },
      );
      assert.deepEqual(actions.map((entry) => entry.action).sort(), ['driver.registered', 'driver.verified']);
      assert.equal(actions.find((entry) => entry.action === 'driver.registered')?.actorId, driver.id);
      const roleChange = await waitFor(
        async () => {
          const found = await expectStatus<
            Page<{ action: string; summary: { before: { role: string }; after: { role: string } } }>
          >(await app.request(`/api/audit-logs?entityId=${driver.id}&action=user.updated`), 200);
          return found.data[0];
        },
        { timeoutMs: 15_000, what: 'the role change audit entry' },
      );
      assert.deepEqual([roleChange.summary.before.role, roleChange.summary.after.role], ['CUSTOMER', 'DRIVER']);
    });
  });
}
