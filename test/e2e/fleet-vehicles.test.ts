import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
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
  VALID_VEHICLE,
  type Page,
  type TestDriver,
  type VehicleView,
  type VendorView,
} from '../support/fleet.js';
import { customer, person } from '../support/people.js';
import { expectProblem } from '../support/problems.js';
import { waitFor } from '../support/wait-for.js';

const THIS_YEAR = new Date().getUTCFullYear();

for (const kind of ['embedded', 'real'] as const) {
  describe(`fleet: vehicles (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let vendor: VendorView;
    let alice: TestDriver;
    let bob: TestDriver;

    before(async () => {
      app = await startTestApp(kind);
      vendor = await createVendor(app);
      [alice, bob] = [await registerDriver(app, vendor.id), await registerDriver(app, vendor.id)];
    });
    after(async () => {
      await app?.close();
    });

    it('a driver registers a vehicle: SUBMITTED, plate normalised, then VERIFIED by the verifier', async () => {
      const plate = uniquePlate();
      const submitted = await addVehicle(app, alice.token, {
        plate: ` ${plate.slice(0, 3).toLowerCase()} ${plate.slice(3)} `,
      });
      assert.equal(submitted.status, 'SUBMITTED');
      assert.equal(submitted.plate, plate);
      assert.equal(submitted.driverId, alice.driver.id);
      assert.deepEqual(submitted.documents, VALID_VEHICLE.documents);
      assert.deepEqual(submitted.rejectionReasons, []);

      const verified = await decided(app, submitted.id);
      assert.deepEqual([verified.status, verified.rejectionReasons], ['VERIFIED', []]);
      assert.ok(verified.verifiedAt);
      const mine = await expectStatus<VehicleView>(
        await app.request(`/api/vehicles/${submitted.id}`, { as: alice.token }),
        200,
      );
      assert.equal(mine.status, 'VERIFIED');
    });

    it('the verifier rejects each failed rule with its reason', async () => {
      const cases: [Record<string, unknown>, RegExp][] = [
        [{ plate: malformedPlate() }, /plate "X_[0-9A-F]{6}" is not 2 to 10/],
        [{ plate: 'ABCDEFGHIJK' }, /plate "ABCDEFGHIJK"/],
        [
          { documents: { insuranceExpiry: daysFromToday(-1), inspectionExpiry: daysFromToday(30) } },
          /insurance expired/,
        ],
        [
          { documents: { insuranceExpiry: daysFromToday(30), inspectionExpiry: daysFromToday(-10) } },
          /inspection expired/,
        ],
        [{ year: THIS_YEAR - 16 }, new RegExp(`built in ${THIS_YEAR - 16}`)],
        [{ class: 'XL', capacity: 4 }, /XL needs at least 5/],
      ];
      const submitted = await Promise.all(cases.map(([overrides]) => addVehicle(app, alice.token, overrides)));
      for (const [index, vehicle] of submitted.entries()) {
        const result = await decided(app, vehicle.id);
        assert.equal(result.status, 'REJECTED', `case ${index}`);
        assert.equal(result.rejectionReasons.length, 1, JSON.stringify(result.rejectionReasons));
        assert.match(result.rejectionReasons[0]!, cases[index]![1]);
      }
      const oldest = await decided(app, (await addVehicle(app, alice.token, { year: THIS_YEAR - 15 })).id);
      assert.equal(oldest.status, 'VERIFIED', '15 years old is still accepted');
      const bike = await decided(app, (await addVehicle(app, alice.token, { class: 'BIKE', capacity: 0 })).id);
      assert.equal(bike.status, 'VERIFIED', 'delivery classes need no seats');
    });

    it('validates input (400 naming the field) and refuses unknown fields', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ plate: '' }, 'plate'],
        [{ make: '' }, 'make'],
        [{ year: 1850 }, 'year'],
        [{ year: THIS_YEAR + 2 }, 'year'],
        [{ year: 2020.5 }, 'year'],
        [{ class: 'LIMO' }, 'class'],
        [{ capacity: -1 }, 'capacity'],
        [{ documents: { insuranceExpiry: '2030-01-01' } }, 'documents.inspectionExpiry'],
        [{ documents: { insuranceExpiry: 'soon', inspectionExpiry: '2030-01-01' } }, 'documents.insuranceExpiry'],
        [{ documents: { ...VALID_VEHICLE.documents, registration: 'x' } }, 'documents.registration'],
        [{ colour: 'red' }, 'colour'],
        [{ driverId: alice.driver.id }, 'driverId'],
      ];
      for (const [overrides, field] of cases) {
        const problem = await expectProblem(
          await app.request('/api/vehicles', {
            method: 'POST',
            json: { ...VALID_VEHICLE, plate: uniquePlate(), ...overrides },
            as: alice.token,
          }),
          400,
        );
        assert.ok(
          problem.errors?.some((error) => error.field === field),
          `${field}: ${JSON.stringify(problem)}`,
        );
      }
      const vehicle = await addVehicle(app, alice.token);
      const patch = await expectProblem(
        await app.request(`/api/vehicles/${vehicle.id}`, {
          method: 'PATCH',
          json: { status: 'VERIFIED' },
          as: alice.token,
        }),
        400,
      );
      assert.ok(patch.errors?.some((error) => error.field === 'status'));
    });

    it('plates are unique across the platform (409 naming the field), whatever their spelling; deleting frees one', async () => {
      const plate = uniquePlate();
      const first = await addVehicle(app, alice.token, { plate });
      const taken = await expectProblem(
        await app.request('/api/vehicles', {
          method: 'POST',
          json: { ...VALID_VEHICLE, plate: `${plate.slice(0, 2)} ${plate.slice(2).toLowerCase()}` },
          as: bob.token,
        }),
        409,
      );
      assert.deepEqual(taken.errors, [{ field: 'plate', message: 'already registered' }]);
      const bobs = await addVehicle(app, bob.token);
      await expectProblem(
        await app.request(`/api/vehicles/${bobs.id}`, { method: 'PATCH', json: { plate }, as: bob.token }),
        409,
      );
      await expectStatus(await app.request(`/api/vehicles/${first.id}`, { method: 'DELETE', as: alice.token }), 204);
      const again = await addVehicle(app, bob.token, { plate });
      assert.equal(again.plate, plate);
    });

    it('changing plate, documents or year resubmits it; make and model do not', async () => {
      const vehicle = await decided(app, (await addVehicle(app, alice.token)).id);
      assert.equal(vehicle.status, 'VERIFIED');
      const path = `/api/vehicles/${vehicle.id}`;
      const patch = async (json: object) =>
        expectStatus<VehicleView>(await app.request(path, { method: 'PATCH', json, as: alice.token }), 200);

      const renamed = await patch({ make: 'Lexus', model: 'CT' });
      assert.deepEqual([renamed.make, renamed.model, renamed.status], ['Lexus', 'CT', 'VERIFIED']);
      const same = await patch({ year: vehicle.year });
      assert.equal(same.status, 'VERIFIED', 'an unchanged value changes nothing');

      for (const change of [
        { plate: uniquePlate() },
        { documents: { insuranceExpiry: daysFromToday(400) } },
        { year: vehicle.year - 1 },
      ]) {
        const resubmitted = await patch(change);
        assert.equal(resubmitted.status, 'SUBMITTED', JSON.stringify(change));
        assert.equal(resubmitted.verifiedAt, null);
        assert.equal((await decided(app, vehicle.id)).status, 'VERIFIED');
      }
      // A rejected vehicle fixed by its driver goes through verification again.
      const expired = await patch({ documents: { inspectionExpiry: daysFromToday(-1) } });
      assert.equal(expired.status, 'SUBMITTED');
      const rejected = await decided(app, vehicle.id);
      assert.equal(rejected.status, 'REJECTED');
      await patch({ documents: { inspectionExpiry: daysFromToday(200) } });
      const fixed = await decided(app, vehicle.id);
      assert.deepEqual(
        [fixed.status, fixed.rejectionReasons, fixed.documents.inspectionExpiry],
        ['VERIFIED', [], daysFromToday(200)],
      );
    });

    it("a driver sees, changes and deletes only their own vehicles (someone else's is a 404)", async () => {
      const bobs = await addVehicle(app, bob.token);
      const path = `/api/vehicles/${bobs.id}`;
      for (const [method, json] of [
        ['GET', undefined],
        ['PATCH', { make: 'Stolen' }],
        ['DELETE', undefined],
      ] as const) {
        const theirs = await expectProblem(await app.request(path, { method, json, as: alice.token }), 404);
        const nobodys = await expectProblem(
          await app.request(`/api/vehicles/${randomUUID()}`, { method, json, as: alice.token }),
          404,
        );
        assert.equal(theirs.type, nobodys.type);
      }
      assert.equal((await expectStatus<VehicleView>(await app.request(path, { as: bob.token }), 200)).make, 'Toyota');

      const listed = await expectStatus<Page<VehicleView>>(
        await app.request('/api/vehicles?per_page=100', { as: bob.token }),
        200,
      );
      assert.ok(listed.data.length > 0);
      assert.ok(listed.data.every((vehicle) => vehicle.driverId === bob.driver.id));
      const filtered = await expectStatus<Page<VehicleView>>(
        await app.request(`/api/vehicles?driverId=${bob.driver.id}`, { as: alice.token }),
        200,
      );
      assert.equal(filtered.meta.total, 0, "a driver filtering by someone else's id sees nothing");
    });

    it('admins see and manage every vehicle, and register one for a named driver', async () => {
      const carol = await registerDriver(app, vendor.id);
      const missing = await expectProblem(
        await app.request('/api/vehicles', { method: 'POST', json: { ...VALID_VEHICLE, plate: uniquePlate() } }),
        400,
      );
      assert.deepEqual(missing.errors, [{ field: 'driverId', message: 'required for an ADMIN' }]);
      const unknown = await expectProblem(
        await app.request('/api/vehicles', {
          method: 'POST',
          json: { ...VALID_VEHICLE, plate: uniquePlate(), driverId: randomUUID() },
        }),
        400,
      );
      assert.deepEqual(unknown.errors, [{ field: 'driverId', message: 'no such driver' }]);
      const made = await expectStatus<VehicleView>(
        await app.request('/api/vehicles', {
          method: 'POST',
          json: { ...VALID_VEHICLE, plate: uniquePlate(), class: 'VAN', capacity: 2, driverId: carol.driver.id },
        }),
        201,
      );
      assert.equal(made.driverId, carol.driver.id);
      await addVehicle(app, carol.token, { class: 'BIKE', capacity: 0 });

      const carols = await expectStatus<Page<VehicleView>>(
        await app.request(`/api/vehicles?driverId=${carol.driver.id}&per_page=1`),
        200,
      );
      assert.deepEqual(carols.meta, { page: 1, per_page: 1, total: 2 });
      assert.equal(carols.data[0]!.id, made.id, 'oldest first');
      const vans = await expectStatus<Page<VehicleView>>(
        await app.request(`/api/vehicles?driverId=${carol.driver.id}&class=VAN`),
        200,
      );
      assert.deepEqual(
        vans.data.map((vehicle) => vehicle.id),
        [made.id],
      );
      await decided(app, made.id);
      const verified = await expectStatus<Page<VehicleView>>(
        await app.request(`/api/vehicles?driverId=${carol.driver.id}&status=VERIFIED&class=VAN`),
        200,
      );
      assert.equal(verified.meta.total, 1);

      await expectStatus(
        await app.request(`/api/vehicles/${made.id}`, { method: 'PATCH', json: { model: 'Sprinter' } }),
        200,
      );
      await expectStatus(await app.request(`/api/vehicles/${made.id}`, { method: 'DELETE' }), 204);
      await expectProblem(await app.request(`/api/vehicles/${made.id}`, { as: carol.token }), 404);
    });

    it('is for drivers and admins: customers 403; a DRIVER account without a profile has no vehicles', async () => {
      const someone = await customer(app);
      await expectProblem(await app.request('/api/vehicles', { as: someone.token }), 403);
      await expectProblem(
        await app.request('/api/vehicles', { method: 'POST', json: VALID_VEHICLE, as: someone.token }),
        403,
      );
      const bare = await person(app, 'DRIVER');
      const none = await expectStatus<Page<VehicleView>>(await app.request('/api/vehicles', { as: bare.token }), 200);
      assert.equal(none.meta.total, 0);
      await expectProblem(
        await app.request('/api/vehicles', {
          method: 'POST',
          json: { ...VALID_VEHICLE, plate: uniquePlate() },
          as: bare.token,
        }),
        404,
      );
    });

    it('a vehicle in use by an online driver cannot be resubmitted or deleted (409); deleting the active one clears it', async () => {
      const driver = await readyDriver(app, vendor.id);
      const path = `/api/vehicles/${driver.vehicle.id}`;
      await expectStatus(await setOnline(app, driver.token, true), 200);
      const busy = await expectProblem(
        await app.request(path, { method: 'PATCH', json: { plate: uniquePlate() }, as: driver.token }),
        409,
      );
      assert.match(busy.detail ?? '', /go offline/);
      await expectProblem(await app.request(path, { method: 'DELETE', as: driver.token }), 409);
      // Make and model do not touch verification: allowed online.
      await expectStatus(
        await app.request(path, { method: 'PATCH', json: { model: 'Prius+' }, as: driver.token }),
        200,
      );

      await expectStatus(await setOnline(app, driver.token, false), 200);
      await expectStatus(await app.request(path, { method: 'DELETE', as: driver.token }), 204);
      const me = await expectStatus<{ activeVehicleId: string | null }>(
        await app.request('/api/drivers/me', { as: driver.token }),
        200,
      );
      assert.equal(me.activeVehicleId, null);
    });

    it('every vehicle change is audited: submitted, verified by the consumer, updated, deleted', async () => {
      const vehicle = await decided(app, (await addVehicle(app, alice.token)).id);
      const path = `/api/vehicles/${vehicle.id}`;
      await expectStatus(await app.request(path, { method: 'PATCH', json: { make: 'Audi' }, as: alice.token }), 200);
      await expectStatus(await app.request(path, { method: 'DELETE', as: alice.token }), 204);
      const entries = await waitFor(
        async () => {
          const found = await expectStatus<Page<{ action: string; actorId: string | null }>>(
            await app.request(`/api/audit-logs?entityId=${vehicle.id}`),
            200,
          );
          return found.meta.total >= 4 ? found.data : undefined;
        },
        { timeoutMs: 15_000, what: 'four audit entries for the vehicle' },
      );
      assert.deepEqual(entries.map((entry) => entry.action).sort(), [
        'vehicle.deleted',
        'vehicle.submitted',
        'vehicle.updated',
        'vehicle.verified',
      ]);
      assert.equal(entries.find((entry) => entry.action === 'vehicle.verified')?.actorId, 'consumer:vehicle-verifier');
      assert.equal(entries.find((entry) => entry.action === 'vehicle.submitted')?.actorId, alice.id);
    });
  });
}
