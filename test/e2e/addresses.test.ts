import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, person, type Person } from '../support/people.js';
import { waitFor } from '../support/wait-for.js';
import { expectStatus } from '../support/problems.js';

interface AddressView {
  id: string;
  label: string;
  address: string;
  lat: number;
  lng: number;
  notes: string | null;
}

interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

interface ProblemBody {
  type: string;
  status: number;
  errors?: { field: string; message: string }[];
}

const HOME = { label: 'Home', address: 'Torstraße 1, 10119 Berlin', lat: 52.529, lng: 13.401, notes: 'Door code 1234' };

for (const kind of ['embedded', 'real'] as const) {
  describe(`customer profile and addresses (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let alice: Person;
    let bob: Person;

    before(async () => {
      app = await startTestApp(kind);
      [alice, bob] = await Promise.all([customer(app, 'alice'), customer(app, 'bob')]);
    });
    after(async () => {
      await app?.close();
    });

    const save = async (as: string, body: object = HOME): Promise<AddressView> =>
      expectStatus<AddressView>(await app.request('/api/me/addresses', { method: 'POST', json: body, as }), 201);

    it('a customer saves, reads, changes and deletes an address', async () => {
      const saved = await save(alice.token);
      assert.deepEqual({ ...saved, id: undefined }, { ...saved, ...HOME, id: undefined });
      const path = `/api/me/addresses/${saved.id}`;
      assert.deepEqual(await expectStatus(await app.request(path, { as: alice.token }), 200), saved);

      const moved = await expectStatus<AddressView>(
        await app.request(path, { method: 'PATCH', json: { lat: -33.9, lng: 151.2, notes: null }, as: alice.token }),
        200,
      );
      assert.deepEqual([moved.lat, moved.lng, moved.notes, moved.label], [-33.9, 151.2, null, 'Home']);

      await expectStatus(await app.request(path, { method: 'DELETE', as: alice.token }), 204);
      await expectStatus(await app.request(path, { as: alice.token }), 404);
      await expectStatus(await app.request(path, { method: 'DELETE', as: alice.token }), 404);
    });

    it('lists only your own addresses, paginated', async () => {
      const carol = await customer(app, 'carol');
      for (const label of ['One', 'Two', 'Three']) await save(carol.token, { ...HOME, label });
      await save(bob.token, { ...HOME, label: 'Bob’s' });
      const second = await expectStatus<Page<AddressView>>(
        await app.request('/api/me/addresses?per_page=2&page=2', { as: carol.token }),
        200,
      );
      assert.deepEqual(second.meta, { page: 2, per_page: 2, total: 3 });
      assert.deepEqual(
        second.data.map((address) => address.label),
        ['Three'],
      );
    });

    it("another customer's address is a 404, exactly like one that does not exist", async () => {
      const bobs = await save(bob.token, { ...HOME, label: 'Bob only' });
      const path = `/api/me/addresses/${bobs.id}`;
      const theirs = await expectStatus<ProblemBody>(await app.request(path, { as: alice.token }), 404);
      const nobodys = await expectStatus<ProblemBody>(
        await app.request('/api/me/addresses/01900000-0000-7000-8000-000000000000', { as: alice.token }),
        404,
      );
      assert.equal(theirs.type, nobodys.type);
      await expectStatus(
        await app.request(path, { method: 'PATCH', json: { label: 'Mine now' }, as: alice.token }),
        404,
      );
      await expectStatus(await app.request(path, { method: 'DELETE', as: alice.token }), 404);
      assert.equal(
        (await expectStatus<AddressView>(await app.request(path, { as: bob.token }), 200)).label,
        'Bob only',
      );
    });

    it('validates coordinates, required fields and unknown fields (400), and is for customers only (403)', async () => {
      for (const [body, field] of [
        [{ ...HOME, lat: 90.5 }, 'lat'],
        [{ ...HOME, lng: -180.1 }, 'lng'],
        [{ ...HOME, label: '' }, 'label'],
        [{ label: 'X', lat: 1, lng: 1 }, 'address'],
        [{ ...HOME, floor: 3 }, 'floor'],
      ] as const) {
        const problem = await expectStatus<ProblemBody>(
          await app.request('/api/me/addresses', { method: 'POST', json: body, as: alice.token }),
          400,
        );
        assert.ok(
          problem.errors?.some((error) => error.field === field),
          `${field}: ${JSON.stringify(problem)}`,
        );
      }
      const driver = await person(app, 'DRIVER');
      await expectStatus(await app.request('/api/me/addresses', { as: driver.token }), 403);
      await expectStatus(await app.request('/api/me/addresses'), 403); // the test admin
      await expectStatus(await app.request('/api/me/addresses', { as: null }), 401);
    });

    it('GET and PATCH /api/me: your profile, name and phone only', async () => {
      const me = await expectStatus<{ id: string; name: string; phone: string | null; role: string }>(
        await app.request('/api/me', { as: alice.token }),
        200,
      );
      assert.equal(me.id, alice.id);
      assert.equal(me.role, 'CUSTOMER');
      const changed = await expectStatus<{ name: string; phone: string | null }>(
        await app.request('/api/me', {
          method: 'PATCH',
          json: { name: 'Alice A.', phone: '+49 30 1234567' },
          as: alice.token,
        }),
        200,
      );
      assert.deepEqual([changed.name, changed.phone], ['Alice A.', '+49 30 1234567']);
      for (const body of [{ role: 'ADMIN' }, { email: 'new@x.test' }, { phone: 'call me' }]) {
        await expectStatus(await app.request('/api/me', { method: 'PATCH', json: body, as: alice.token }), 400);
      }
      const profile = await expectStatus<{ name: string; role: string }>(
        await app.request('/api/auth/profile', { as: alice.token }),
        200,
      );
      assert.deepEqual([profile.name, profile.role], ['Alice A.', 'CUSTOMER']);
    });

    it('every address change is audited with before and after', async () => {
      const saved = await save(bob.token, { ...HOME, label: 'Audited' });
      const path = `/api/me/addresses/${saved.id}`;
      await expectStatus(
        await app.request(path, { method: 'PATCH', json: { label: 'Audited 2' }, as: bob.token }),
        200,
      );
      await expectStatus(await app.request(path, { method: 'DELETE', as: bob.token }), 204);
      const actions = await waitFor(
        async () => {
          const response = await app.request(`/api/audit-logs?entityId=${saved.id}`);
          const found = (await response.json()) as Page<{ action: string; actorId: string | null }>;
          return found.meta.total >= 3 ? found.data : undefined;
        },
        { timeoutMs: 15_000, what: 'three audit entries for the address' },
      );
      assert.deepEqual(actions.map((entry) => entry.action).sort(), [
        'address.created',
        'address.deleted',
        'address.updated',
      ]);
      assert.ok(actions.every((entry) => entry.actorId === bob.id));
    });
  });
}
