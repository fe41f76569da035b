import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { VehicleDocumentExpiryJob } from '../../src/modules/fleet/vehicle-document-expiry.job.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import {
  addVehicle,
  createVendor,
  daysFromToday,
  decided,
  expectStatus,
  malformedPlate,
  readyDriver,
  registerDriver,
  setOnline,
  uniquePlate,
  verifyDriver,
  type DriverView,
  type Page,
  type TestDriver,
  type VehicleView,
  type VendorView,
} from '../support/fleet.js';
import { expectProblem } from '../support/problems.js';
import { waitFor } from '../support/wait-for.js';

interface Refusal {
  code: string;
  field: string;
  message: string;
}

for (const kind of ['embedded', 'real'] as const) {
  describe(`fleet: active vehicle, availability and expiry (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let control: SqlDatabase;
    let vendor: VendorView;

    before(async () => {
      app = await startTestApp(kind);
      control = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
      vendor = await createVendor(app);
    });
    after(async () => {
      await app?.close();
    });

    /** Time passing, as far as the fleet can tell: a licence or a document that expired yesterday. */
    const expireLicence = (driverId: string) =>
      control.query(sql`update drivers set licence_expiry = ${daysFromToday(-1)}::date where id = ${driverId}`);
    const expireInsurance = (vehicleId: string) =>
      control.query(sql`update vehicles set insurance_expiry = ${daysFromToday(-1)}::date where id = ${vehicleId}`);

    const me = async (driver: TestDriver) =>
      expectStatus<DriverView>(await app.request('/api/drivers/me', { as: driver.token }), 200);

    /** Going online is refused with exactly these reasons, and the driver stays offline. */
    async function refusedOnline(driver: TestDriver, codes: string[]): Promise<Refusal[]> {
      const problem = await expectProblem(await setOnline(app, driver.token, true), 409);
      const reasons = problem.reasons as Refusal[];
      assert.deepEqual(
        reasons.map((reason) => reason.code),
        codes,
        JSON.stringify(problem),
      );
      assert.match(problem.detail ?? '', /^You cannot go online: /);
      assert.equal((await me(driver)).online, false);
      return reasons;
    }

    describe('selecting the active vehicle', () => {
      it('a driver selects one of their own VERIFIED vehicles', async () => {
        const driver = await registerDriver(app, vendor.id);
        const vehicle = await decided(app, (await addVehicle(app, driver.token)).id);
        const selected = await expectStatus<DriverView>(
          await app.request('/api/drivers/me/vehicle', {
            method: 'PATCH',
            json: { vehicleId: vehicle.id },
            as: driver.token,
          }),
          200,
        );
        assert.equal(selected.activeVehicleId, vehicle.id);
      });

      it('refuses a vehicle that is not VERIFIED (409 naming vehicleId), or not theirs (404), or bad input (400)', async () => {
        const driver = await registerDriver(app, vendor.id);
        const other = await registerDriver(app, vendor.id);
        const select = (vehicleId: unknown, token = driver.token) =>
          app.request('/api/drivers/me/vehicle', { method: 'PATCH', json: { vehicleId }, as: token });

        const rejected = await decided(app, (await addVehicle(app, driver.token, { plate: malformedPlate() })).id);
        assert.equal(rejected.status, 'REJECTED');
        const notVerified = await expectProblem(await select(rejected.id), 409);
        assert.deepEqual(notVerified.errors, [{ field: 'vehicleId', message: 'vehicle is REJECTED, not VERIFIED' }]);

        const theirs = await decided(app, (await addVehicle(app, other.token)).id);
        const notMine = await expectProblem(await select(theirs.id), 404);
        const nobodys = await expectProblem(await select(randomUUID()), 404);
        assert.equal(notMine.type, nobodys.type);

        const bad = await expectProblem(await select('not-a-uuid'), 400);
        assert.ok(bad.errors?.some((error) => error.field === 'vehicleId'));
        await expectProblem(
          await app.request('/api/drivers/me/vehicle', {
            method: 'PATCH',
            json: { vehicleId: theirs.id, force: true },
            as: driver.token,
          }),
          400,
        );
        assert.equal((await me(driver)).activeVehicleId, null);
      });

      it('is refused while online: go offline first', async () => {
        const driver = await readyDriver(app, vendor.id);
        const spare = await decided(app, (await addVehicle(app, driver.token)).id);
        await expectStatus(await setOnline(app, driver.token, true), 200);
        const problem = await expectProblem(
          await app.request('/api/drivers/me/vehicle', {
            method: 'PATCH',
            json: { vehicleId: spare.id },
            as: driver.token,
          }),
          409,
        );
        assert.match(problem.detail ?? '', /go offline/);
      });
    });

    describe('going online and offline', () => {
      it('a driver who meets every rule goes online, then offline; repeating either changes nothing', async () => {
        const driver = await readyDriver(app, vendor.id);
        const online = await expectStatus<DriverView>(await setOnline(app, driver.token, true), 200);
        assert.equal(online.online, true);
        assert.ok(online.onlineSince);
        const again = await expectStatus<DriverView>(await setOnline(app, driver.token, true), 200);
        assert.equal(again.onlineSince, online.onlineSince, 'still online since the first time');

        const offline = await expectStatus<DriverView>(await setOnline(app, driver.token, false), 200);
        assert.deepEqual([offline.online, offline.onlineSince], [false, null]);
        await expectStatus(await setOnline(app, driver.token, false), 200);

        const actions = await waitFor(
          async () => {
            const found = await expectStatus<Page<{ action: string; summary: { after: { reason?: string } } }>>(
              await app.request(`/api/audit-logs?entityId=${driver.driver.id}&entity=driver`),
              200,
            );
            const wanted = found.data.filter((entry) => entry.action.startsWith('driver.went_'));
            return wanted.length >= 2 ? wanted : undefined;
          },
          { timeoutMs: 15_000, what: 'online and offline audit entries' },
        );
        assert.deepEqual(actions.map((entry) => entry.action).sort(), ['driver.went_offline', 'driver.went_online']);
        assert.equal(actions.find((entry) => entry.action === 'driver.went_offline')?.summary.after.reason, 'driver');
      });

      it('refused: licence not VERIFIED', async () => {
        const driver = await registerDriver(app, vendor.id);
        const vehicle = await decided(app, (await addVehicle(app, driver.token)).id);
        await expectStatus(
          await app.request('/api/drivers/me/vehicle', {
            method: 'PATCH',
            json: { vehicleId: vehicle.id },
            as: driver.token,
          }),
          200,
        );
        const [reason] = await refusedOnline(driver, ['licence_not_verified']);
        assert.deepEqual([reason!.field, reason!.message], ['licence', 'your licence is PENDING, not VERIFIED']);
      });

      it('refused: licence expired', async () => {
        const driver = await readyDriver(app, vendor.id);
        await expireLicence(driver.driver.id);
        const [reason] = await refusedOnline(driver, ['licence_expired']);
        assert.equal(reason!.field, 'licence');
        assert.match(reason!.message, new RegExp(`expired on ${daysFromToday(-1)}`));
      });

      it('refused: no active vehicle selected', async () => {
        const driver = await registerDriver(app, vendor.id);
        await verifyDriver(app, driver.driver.id);
        const [reason] = await refusedOnline(driver, ['no_active_vehicle']);
        assert.equal(reason!.field, 'activeVehicle');
      });

      it('refused: the active vehicle is not VERIFIED (any more)', async () => {
        const driver = await readyDriver(app, vendor.id);
        const path = `/api/vehicles/${driver.vehicle.id}`;
        const plate = malformedPlate();
        await expectStatus(await app.request(path, { method: 'PATCH', json: { plate }, as: driver.token }), 200);
        assert.equal((await decided(app, driver.vehicle.id)).status, 'REJECTED');
        const [reason] = await refusedOnline(driver, ['vehicle_not_verified']);
        assert.equal(reason!.message, `vehicle ${plate} is REJECTED, not VERIFIED`);
      });

      it("refused: the active vehicle's documents expired (before the expiry job noticed)", async () => {
        const driver = await readyDriver(app, vendor.id);
        await expireInsurance(driver.vehicle.id);
        const [reason] = await refusedOnline(driver, ['vehicle_documents_expired']);
        assert.match(reason!.message, /insurance .* expired/);
      });

      it('refused: the vendor is not ACTIVE', async () => {
        const own = await createVendor(app, { name: 'Soon suspended' });
        const driver = await readyDriver(app, own.id);
        await expectStatus(
          await app.request(`/api/vendors/${own.id}`, { method: 'PATCH', json: { status: 'SUSPENDED' } }),
          200,
        );
        const [reason] = await refusedOnline(driver, ['vendor_not_active']);
        assert.deepEqual([reason!.field, reason!.message], ['vendor', 'your vendor Soon suspended is SUSPENDED']);
      });

      it('every failed rule is named at once', async () => {
        const own = await createVendor(app, { status: 'SUSPENDED' });
        const driver = await registerDriver(app, own.id);
        await expireLicence(driver.driver.id);
        await refusedOnline(driver, [
          'licence_not_verified',
          'licence_expired',
          'no_active_vehicle',
          'vendor_not_active',
        ]);
      });

      it('going offline always works, even when nothing qualifies any more', async () => {
        const driver = await readyDriver(app, vendor.id);
        await expectStatus(await setOnline(app, driver.token, true), 200);
        await expireLicence(driver.driver.id);
        await expireInsurance(driver.vehicle.id);
        const offline = await expectStatus<DriverView>(await setOnline(app, driver.token, false), 200);
        assert.equal(offline.online, false);
      });

      it('validates the body (400) and is for drivers only (403)', async () => {
        const driver = await registerDriver(app, vendor.id);
        for (const json of [{}, { online: 'yes' }, { online: true, at: 'now' }]) {
          const problem = await expectProblem(
            await app.request('/api/drivers/me/availability', { method: 'PATCH', json, as: driver.token }),
            400,
          );
          assert.ok(problem.errors?.length, JSON.stringify(problem));
        }
        await expectProblem(
          await app.request('/api/drivers/me/availability', { method: 'PATCH', json: { online: true } }),
          403,
        );
      });

      it("suspending a vendor takes its online drivers offline; reactivating it doesn't bring them back", async () => {
        const own = await createVendor(app);
        const [first, second] = [await readyDriver(app, own.id), await readyDriver(app, own.id)];
        const elsewhere = await readyDriver(app, vendor.id);
        for (const driver of [first, second, elsewhere])
          await expectStatus(await setOnline(app, driver.token, true), 200);

        await expectStatus(
          await app.request(`/api/vendors/${own.id}`, { method: 'PATCH', json: { status: 'SUSPENDED' } }),
          200,
        );
        assert.deepEqual(
          [(await me(first)).online, (await me(second)).online, (await me(elsewhere)).online],
          [false, false, true],
        );
        await expectStatus(
          await app.request(`/api/vendors/${own.id}`, { method: 'PATCH', json: { status: 'ACTIVE' } }),
          200,
        );
        assert.equal((await me(first)).online, false);
        await expectStatus(await setOnline(app, first.token, true), 200);

        const reason = await waitFor(
          async () => {
            const found = await expectStatus<Page<{ summary: { after: { reason: string } } }>>(
              await app.request(`/api/audit-logs?entityId=${second.driver.id}&action=driver.went_offline`),
              200,
            );
            return found.data[0]?.summary.after.reason;
          },
          { timeoutMs: 15_000, what: 'the went_offline audit entry' },
        );
        assert.equal(reason, 'vendor_suspended');
      });
    });

    describe('the vehicle-document-expiry job', () => {
      it('suspends verified vehicles with expired documents and takes their drivers, and drivers with expired licences, offline', async () => {
        const job = app.ordo.app.get(VehicleDocumentExpiryJob);
        const expiredVehicle = await readyDriver(app, vendor.id);
        const expiredLicence = await readyDriver(app, vendor.id);
        const fine = await readyDriver(app, vendor.id);
        const spare = await decided(app, (await addVehicle(app, fine.token)).id);
        for (const driver of [expiredVehicle, expiredLicence, fine])
          await expectStatus(await setOnline(app, driver.token, true), 200);

        await expireInsurance(expiredVehicle.vehicle.id);
        await expireLicence(expiredLicence.driver.id);
        await control.query(
          sql`update vehicles set inspection_expiry = ${daysFromToday(-3)}::date where id = ${spare.id}`,
        );

        await job.run();

        const suspended = await expectStatus<VehicleView>(
          await app.request(`/api/vehicles/${expiredVehicle.vehicle.id}`),
          200,
        );
        assert.equal(suspended.status, 'SUSPENDED');
        assert.deepEqual(suspended.rejectionReasons, [`insurance expired on ${daysFromToday(-1)}`]);
        const spareNow = await expectStatus<VehicleView>(await app.request(`/api/vehicles/${spare.id}`), 200);
        assert.deepEqual(
          [spareNow.status, spareNow.rejectionReasons],
          ['SUSPENDED', [`inspection expired on ${daysFromToday(-3)}`]],
        );
        assert.equal((await me(expiredVehicle)).online, false);
        assert.equal((await me(expiredLicence)).online, false);
        const stillOnline = await me(fine);
        assert.equal(stillOnline.online, true, 'a suspended spare vehicle does not take its driver offline');
        assert.equal(
          (await expectStatus<VehicleView>(await app.request(`/api/vehicles/${fine.vehicle.id}`), 200)).status,
          'VERIFIED',
        );

        // A second run finds nothing due.
        assert.deepEqual(await job.sweep(daysFromToday(0)), { vehiclesSuspended: 0, driversTakenOffline: 0 });

        const reasons = await waitFor(
          async () => {
            const found = await expectStatus<
              Page<{ action: string; entityId: string; summary: { after: { reason?: string } } }>
            >(await app.request('/api/audit-logs?action=driver.went_offline&per_page=100'), 200);
            const byDriver = new Map(found.data.map((entry) => [entry.entityId, entry.summary.after.reason]));
            const wanted = [byDriver.get(expiredVehicle.driver.id), byDriver.get(expiredLicence.driver.id)];
            return wanted.every(Boolean) ? wanted : undefined;
          },
          { timeoutMs: 15_000, what: 'went_offline audit entries from the job' },
        );
        assert.deepEqual(reasons, ['vehicle_suspended', 'licence_expired']);
        const suspendedEvent = await waitFor(
          async () => {
            const found = await expectStatus<Page<{ actorRole: string | null }>>(
              await app.request(`/api/audit-logs?entityId=${expiredVehicle.vehicle.id}&action=vehicle.suspended`),
              200,
            );
            return found.data[0];
          },
          { timeoutMs: 15_000, what: 'the vehicle.suspended audit entry' },
        );
        assert.equal(suspendedEvent.actorRole, 'SYSTEM');

        // New documents resubmit the suspended vehicle; verified again, the driver may go online.
        await expectProblem(await setOnline(app, expiredVehicle.token, true), 409);
        await expectStatus(
          await app.request(`/api/vehicles/${expiredVehicle.vehicle.id}`, {
            method: 'PATCH',
            json: { documents: { insuranceExpiry: daysFromToday(365) } },
            as: expiredVehicle.token,
          }),
          200,
        );
        assert.equal((await decided(app, expiredVehicle.vehicle.id)).status, 'VERIFIED');
        await expectStatus(await setOnline(app, expiredVehicle.token, true), 200);
      });

      // Last in the file on purpose: a date years ahead suspends every vehicle of this app's database.
      it('an injected date suspends exactly what expired before it', async () => {
        const job = app.ordo.app.get(VehicleDocumentExpiryJob);
        const driver = await registerDriver(app, vendor.id);
        const soon = await decided(
          app,
          (
            await addVehicle(app, driver.token, {
              plate: uniquePlate(),
              documents: { insuranceExpiry: daysFromToday(4000), inspectionExpiry: daysFromToday(4000) },
            })
          ).id,
        );
        const later = await decided(
          app,
          (
            await addVehicle(app, driver.token, {
              documents: { insuranceExpiry: daysFromToday(4002), inspectionExpiry: daysFromToday(5000) },
            })
          ).id,
        );
        const swept = await job.sweep(daysFromToday(4001));
        assert.ok(swept.vehiclesSuspended >= 1);
        const status = async (vehicle: VehicleView) =>
          (await expectStatus<VehicleView>(await app.request(`/api/vehicles/${vehicle.id}`), 200)).status;
        assert.deepEqual([await status(soon), await status(later)], ['SUSPENDED', 'VERIFIED']);
      });
    });
  });
}
