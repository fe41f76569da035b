import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { createVendor, expectStatus, registerDriver, type Page, type VendorView } from '../support/fleet.js';
import { customer, person } from '../support/people.js';
import { expectProblem } from '../support/problems.js';
import { waitFor } from '../support/wait-for.js';

for (const kind of ['embedded', 'real'] as const) {
  describe(`fleet: vendors (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;

    before(async () => {
      app = await startTestApp(kind);
    });
    after(async () => {
      await app?.close();
    });

    it('an admin adds, reads, changes and deletes a vendor', async () => {
      const created = await createVendor(app, { name: 'Blue Cabs', contactPhone: '+49 30 555' });
      assert.deepEqual(
        [created.name, created.contactEmail, created.contactPhone, created.status],
        ['Blue Cabs', 'ops@fleet.test', '+49 30 555', 'ACTIVE'],
      );
      const path = `/api/vendors/${created.id}`;
      assert.deepEqual(await expectStatus(await app.request(path), 200), created);

      const changed = await expectStatus<VendorView>(
        await app.request(path, { method: 'PATCH', json: { name: 'Blue Cabs Ltd', contactPhone: null } }),
        200,
      );
      assert.deepEqual([changed.name, changed.contactPhone], ['Blue Cabs Ltd', null]);

      await expectStatus(await app.request(path, { method: 'DELETE' }), 204);
      await expectProblem(await app.request(path), 404);
      await expectProblem(await app.request(path, { method: 'DELETE' }), 404);
      await expectProblem(await app.request(`/api/vendors/${randomUUID()}`, { method: 'PATCH', json: {} }), 404);
    });

    it('lists vendors by name, paginated, filtered by status and name', async () => {
      const tag = randomUUID().slice(0, 8);
      for (const name of ['C', 'A', 'B']) await createVendor(app, { name: `${tag} ${name}` });
      await createVendor(app, { name: `${tag} D`, status: 'SUSPENDED' });

      const second = await expectStatus<Page<VendorView>>(
        await app.request(`/api/vendors?q=${tag}&status=ACTIVE&per_page=2&page=2`),
        200,
      );
      assert.deepEqual(second.meta, { page: 2, per_page: 2, total: 3 });
      assert.deepEqual(
        second.data.map((vendor) => vendor.name),
        [`${tag} C`],
      );
      const suspended = await expectStatus<Page<VendorView>>(
        await app.request(`/api/vendors?q=${tag}&status=SUSPENDED`),
        200,
      );
      assert.deepEqual(
        suspended.data.map((vendor) => vendor.name),
        [`${tag} D`],
      );
      const defaults = await expectStatus<Page<VendorView>>(await app.request('/api/vendors'), 200);
      assert.deepEqual([defaults.meta.page, defaults.meta.per_page], [1, 20]);
    });

    it('rejects bad input with 400 naming the field, unknown fields included', async () => {
      for (const [body, field] of [
        [{ contactEmail: 'ops@fleet.test' }, 'name'],
        [{ name: '', contactEmail: 'ops@fleet.test' }, 'name'],
        [{ name: 'X', contactEmail: 'not-an-email' }, 'contactEmail'],
        [{ name: 'X', contactEmail: 'ops@fleet.test', contactPhone: 'call me' }, 'contactPhone'],
        [{ name: 'X', contactEmail: 'ops@fleet.test', status: 'CLOSED' }, 'status'],
        [{ name: 'X', contactEmail: 'ops@fleet.test', website: 'x.test' }, 'website'],
      ] as const) {
        const problem = await expectProblem(await app.request('/api/vendors', { method: 'POST', json: body }), 400);
        assert.ok(
          problem.errors?.some((error) => error.field === field),
          `${field}: ${JSON.stringify(problem)}`,
        );
      }
      const query = await expectProblem(await app.request('/api/vendors?per_page=500'), 400);
      assert.ok(query.errors?.some((error) => error.field === 'per_page'));
      const param = await expectProblem(await app.request('/api/vendors/not-a-uuid'), 400);
      assert.ok(param.errors?.some((error) => error.field === 'id'));
    });

    it('is for admins only (403 to anyone else, 401 without a token)', async () => {
      const someone = await customer(app);
      const driver = await person(app, 'DRIVER');
      for (const token of [someone.token, driver.token]) {
        await expectProblem(await app.request('/api/vendors', { as: token }), 403);
        await expectProblem(
          await app.request('/api/vendors', {
            method: 'POST',
            json: { name: 'X', contactEmail: 'a@b.test' },
            as: token,
          }),
          403,
        );
      }
      await expectProblem(await app.request('/api/vendors', { as: null }), 401);
    });

    it('a vendor with drivers cannot be deleted: 409, suspend it instead', async () => {
      const vendor = await createVendor(app);
      await registerDriver(app, vendor.id);
      const problem = await expectProblem(await app.request(`/api/vendors/${vendor.id}`, { method: 'DELETE' }), 409);
      assert.match(problem.detail ?? '', /suspend it instead/);
      await expectStatus(await app.request(`/api/vendors/${vendor.id}`), 200);
    });

    it('every vendor change is audited with before and after', async () => {
      const vendor = await createVendor(app, { name: 'Audited fleet' });
      const path = `/api/vendors/${vendor.id}`;
      await expectStatus(await app.request(path, { method: 'PATCH', json: { status: 'SUSPENDED' } }), 200);
      await expectStatus(await app.request(path, { method: 'DELETE' }), 204);
      const entries = await waitFor(
        async () => {
          const found = await expectStatus<Page<{ action: string; summary: { before: unknown; after: unknown } }>>(
            await app.request(`/api/audit-logs?entityId=${vendor.id}`),
            200,
          );
          return found.meta.total >= 3 ? found.data : undefined;
        },
        { timeoutMs: 15_000, what: 'three audit entries for the vendor' },
      );
      assert.deepEqual(entries.map((entry) => entry.action).sort(), [
        'vendor.created',
        'vendor.deleted',
        'vendor.updated',
      ]);
      const update = entries.find((entry) => entry.action === 'vendor.updated')!;
      assert.deepEqual(
        [(update.summary.before as { status: string }).status, (update.summary.after as { status: string }).status],
        ['ACTIVE', 'SUSPENDED'],
      );
    });
  });
}
