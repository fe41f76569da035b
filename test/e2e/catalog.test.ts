import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { TENANT_DATABASES, type TenantDatabases } from '../../src/infra/database/tenant-databases.port.js';
import { reserveStock } from '../../src/modules/catalog/stock.repository.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, person, readyTenant, type Person } from '../support/people.js';
import { waitFor } from '../support/wait-for.js';
import { expectStatus } from '../support/problems.js';

interface ProductView {
  id: string;
  sku: string | null;
  name: string;
  description: string | null;
  category: string | null;
  price: number;
  currency: string;
  active: boolean;
  stock: { available: number; inStock: boolean; onHand?: number; reserved?: number };
}

interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

interface ProblemBody {
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

interface AuditEntry {
  action: string;
  tenant: string | null;
  entityId: string;
  actorRole: string | null;
  summary: { before: unknown; after: unknown };
}

const json = async <T>(response: Response): Promise<T> => (await response.json()) as T;

for (const kind of ['embedded', 'real'] as const) {
  describe(`catalog and stock (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let merchant: Person;
    let shopper: Person;
    let driver: Person;
    let otherMerchant: Person;
    const shop = 'cat_shop';
    const otherShop = 'cat_other';
    const base = `/api/tenants/${shop}/products`;

    before(async () => {
      app = await startTestApp(kind);
      [merchant, otherMerchant] = await Promise.all([readyTenant(app, shop), readyTenant(app, otherShop, 'USD')]);
      shopper = await customer(app);
      driver = await person(app, 'DRIVER');
    });
    after(async () => {
      await app?.close();
    });

    async function create(body: Record<string, unknown>, as = merchant.token, path = base): Promise<ProductView> {
      return expectStatus<ProductView>(await app.request(path, { method: 'POST', json: body, as }), 201);
    }

    const list = async (query: string, as: string, path = base) =>
      expectStatus<Page<ProductView>>(await app.request(`${path}?${query}`, { as }), 200);

    it('a merchant adds a product with its initial stock; prices are minor units of the tenant currency', async () => {
      const created = await create({
        name: 'Espresso beans',
        description: '1 kg',
        category: 'Coffee',
        sku: 'ESP-1',
        price: 1250,
        initialStock: 7,
      });
      assert.equal(created.name, 'Espresso beans');
      assert.equal(created.price, 1250);
      assert.equal(created.currency, 'EUR');
      assert.equal(created.active, true);
      assert.deepEqual(created.stock, { available: 7, inStock: true, onHand: 7, reserved: 0 });

      const byAdmin = await create({ name: 'Admin-made', price: 0 }, 'admin');
      assert.deepEqual(byAdmin.stock, { available: 0, inStock: false, onHand: 0, reserved: 0 });
    });

    it('rejects bad products with 400 problem+json naming each field, and customers with 403', async () => {
      for (const [body, field] of [
        [{ name: 'X', price: -1 }, 'price'],
        [{ name: 'X', price: 1.5 }, 'price'],
        [{ name: '', price: 1 }, 'name'],
        [{ name: 'X', price: 1, initialStock: -3 }, 'initialStock'],
        [{ name: 'X', price: 1, colour: 'red' }, 'colour'],
      ] as const) {
        const problem = await expectStatus<ProblemBody>(
          await app.request(base, { method: 'POST', json: body, as: merchant.token }),
          400,
        );
        assert.ok(
          problem.errors?.some((error) => error.field === field),
          `${field}: ${JSON.stringify(problem)}`,
        );
      }
      await expectStatus(
        await app.request(base, { method: 'POST', json: { name: 'X', price: 1 }, as: shopper.token }),
        403,
      );
      await expectStatus(
        await app.request(base, { method: 'POST', json: { name: 'X', price: 1 }, as: driver.token }),
        403,
      );
    });

    it('a SKU is unique within the tenant: 409', async () => {
      await create({ name: 'Dup one', price: 1, sku: 'DUP' });
      const problem = await expectStatus<ProblemBody>(
        await app.request(base, {
          method: 'POST',
          json: { name: 'Dup two', price: 1, sku: 'DUP' },
          as: merchant.token,
        }),
        409,
      );
      assert.equal(problem.errors?.[0]?.field, 'sku');
    });

    it('lists by name with search, category filter and pagination; customers see active products only', async () => {
      await create({ name: 'Green Tea', category: 'Tea', price: 400, initialStock: 3 });
      await create({ name: 'Black tea', category: 'tea', price: 350, initialStock: 0 });
      await create({ name: 'Tea pot (discontinued)', category: 'Tea', price: 2000, active: false });

      const staff = await list('q=TEA&per_page=100', merchant.token);
      assert.deepEqual(
        staff.data.map((product) => product.name),
        ['Black tea', 'Green Tea', 'Tea pot (discontinued)'],
      );
      assert.equal(staff.data[0]?.stock.onHand, 0);

      const visible = await list('category=TEA&per_page=100', shopper.token);
      assert.deepEqual(
        visible.data.map((product) => product.name),
        ['Black tea', 'Green Tea'],
      );
      assert.deepEqual(visible.data[1]?.stock, { available: 3, inStock: true }, 'no onHand/reserved for customers');
      assert.equal((await list('q=tea', driver.token)).meta.total, 2);

      const first = await list('q=tea&per_page=1&page=2', merchant.token);
      assert.deepEqual(first.meta, { page: 2, per_page: 1, total: 3 });
      assert.equal(first.data[0]?.name, 'Green Tea');
      // LIKE wildcards in the search are literal.
      assert.equal((await list('q=%25', merchant.token)).meta.total, 0);
      await expectStatus(await app.request(`${base}?per_page=101`, { as: merchant.token }), 400);
    });

    it('an inactive product is a 404 to customers and drivers, visible to staff', async () => {
      const hidden = await create({ name: 'Secret blend', price: 999, active: false });
      await expectStatus(await app.request(`${base}/${hidden.id}`, { as: shopper.token }), 404);
      await expectStatus(await app.request(`${base}/${hidden.id}`, { as: driver.token }), 404);
      const seen = await expectStatus<ProductView>(
        await app.request(`${base}/${hidden.id}`, { as: merchant.token }),
        200,
      );
      assert.equal(seen.active, false);
      await expectStatus(await app.request(`${base}/not-a-uuid`, { as: merchant.token }), 400);
    });

    it('an update is visible on the very next read, in lists and by id (cache invalidated on write)', async () => {
      const product = await create({ name: 'Cached cookie', category: 'Cookies', price: 100, initialStock: 5 });
      const path = `${base}/${product.id}`;
      // Warm both caches, for both audiences.
      assert.equal((await list('category=cookies', shopper.token)).data[0]?.price, 100);
      assert.equal((await list('category=cookies', merchant.token)).data[0]?.price, 100);
      assert.equal((await expectStatus<ProductView>(await app.request(path, { as: shopper.token }), 200)).price, 100);

      // Reads really are served from the cache: a change behind the API's back is not seen…
      const db = await app.ordo.app.get<TenantDatabases>(TENANT_DATABASES).forTenant(shop);
      await db.query(sql`update products set price = 101 where id = ${product.id}`);
      assert.equal((await list('category=cookies', shopper.token)).data[0]?.price, 100);

      // …while a write through the API is, on the very next read.
      const patched = await expectStatus<ProductView>(
        await app.request(path, {
          method: 'PATCH',
          json: { price: 150, name: 'Cached cookie XL' },
          as: merchant.token,
        }),
        200,
      );
      assert.equal(patched.price, 150);
      assert.equal((await list('category=cookies', shopper.token)).data[0]?.price, 150);
      assert.equal((await list('category=cookies', merchant.token)).data[0]?.name, 'Cached cookie XL');
      assert.equal((await expectStatus<ProductView>(await app.request(path, { as: shopper.token }), 200)).price, 150);

      // Deactivating hides it at once; stock changes show at once too.
      await expectStatus(
        await app.request(path, { method: 'PATCH', json: { active: false }, as: merchant.token }),
        200,
      );
      assert.equal((await list('category=cookies', shopper.token)).meta.total, 0);
      await expectStatus(await app.request(path, { as: shopper.token }), 404);
      await expectStatus(await app.request(path, { method: 'PATCH', json: { active: true }, as: merchant.token }), 200);
      await expectStatus(
        await app.request(`${path}/stock`, {
          method: 'PATCH',
          json: { delta: 4, reason: 'delivery' },
          as: merchant.token,
        }),
        200,
      );
      assert.deepEqual((await expectStatus<ProductView>(await app.request(path, { as: shopper.token }), 200)).stock, {
        available: 9,
        inStock: true,
      });
    });

    it('PATCH validates: unknown fields and bad prices are 400, an unknown product 404', async () => {
      const product = await create({ name: 'Strict', price: 1 });
      await expectStatus(
        await app.request(`${base}/${product.id}`, { method: 'PATCH', json: { stock: 3 }, as: merchant.token }),
        400,
      );
      await expectStatus(
        await app.request(`${base}/${product.id}`, { method: 'PATCH', json: { price: -5 }, as: merchant.token }),
        400,
      );
      await expectStatus(
        await app.request(`${base}/01900000-0000-7000-8000-000000000000`, {
          method: 'PATCH',
          json: { price: 5 },
          as: merchant.token,
        }),
        404,
      );
      await expectStatus(
        await app.request(`${base}/${product.id}`, { method: 'PATCH', json: { price: 5 }, as: shopper.token }),
        403,
      );
    });

    it('DELETE is soft: the product is gone from every view, for staff too', async () => {
      const product = await create({ name: 'Short-lived', category: 'Gone', price: 10, initialStock: 2 });
      await expectStatus(await app.request(`${base}/${product.id}`, { method: 'DELETE', as: merchant.token }), 204);
      await expectStatus(await app.request(`${base}/${product.id}`, { as: merchant.token }), 404);
      await expectStatus(await app.request(`${base}/${product.id}`, { method: 'DELETE', as: merchant.token }), 404);
      await expectStatus(
        await app.request(`${base}/${product.id}/stock`, {
          method: 'PATCH',
          json: { onHand: 1, reason: 'x' },
          as: merchant.token,
        }),
        404,
      );
      assert.equal((await list('category=gone', merchant.token)).meta.total, 0);
    });

    it('stock: set or move on hand with a reason; never below what is reserved (409)', async () => {
      const product = await create({ name: 'Stocked', price: 10, initialStock: 10 });
      const path = `${base}/${product.id}/stock`;
      const adjust = (body: object, as = merchant.token) => app.request(path, { method: 'PATCH', json: body, as });

      assert.deepEqual(await expectStatus(await adjust({ onHand: 12, reason: 'stock count' }), 200), {
        productId: product.id,
        onHand: 12,
        reserved: 0,
        available: 12,
      });
      assert.deepEqual(await expectStatus(await adjust({ delta: -2, reason: 'breakage' }), 200), {
        productId: product.id,
        onHand: 10,
        reserved: 0,
        available: 10,
      });
      for (const body of [
        { onHand: 5 },
        { onHand: 5, delta: 1, reason: 'both' },
        { reason: 'neither' },
        { onHand: -1, reason: 'x' },
      ]) {
        await expectStatus(await adjust(body), 400);
      }
      await expectStatus(await adjust({ onHand: 1, reason: 'x' }, shopper.token), 403);

      // Orders reserve through the repository; staff cannot count below that.
      const databases = app.ordo.app.get<TenantDatabases>(TENANT_DATABASES);
      const db = await databases.forTenant(shop);
      assert.equal((await db.transaction((tx) => reserveStock(tx, product.id, 4))).ok, true);
      const refused = await expectStatus<ProblemBody & { reserved: number }>(
        await adjust({ onHand: 3, reason: 'count' }),
        409,
      );
      assert.equal(refused.reserved, 4);
      await expectStatus(await adjust({ delta: -7, reason: 'loss' }), 409);
      assert.deepEqual(await expectStatus(await adjust({ onHand: 4, reason: 'count' }), 200), {
        productId: product.id,
        onHand: 4,
        reserved: 4,
        available: 0,
      });
    });

    it('every write is audited with its tenant; stock adjustments with before, after and the reason', async () => {
      const product = await create({ name: 'Audited', price: 10, initialStock: 1 });
      await expectStatus(
        await app.request(`${base}/${product.id}/stock`, {
          method: 'PATCH',
          json: { delta: 5, reason: 'supplier delivery #42' },
          as: merchant.token,
        }),
        200,
      );
      await expectStatus(
        await app.request(`${base}/${product.id}`, { method: 'PATCH', json: { price: 11 }, as: merchant.token }),
        200,
      );
      await expectStatus(await app.request(`${base}/${product.id}`, { method: 'DELETE', as: merchant.token }), 204);
      const entries = await waitFor(
        async () => {
          const response = await app.request(`/api/audit-logs?entityId=${product.id}&per_page=100`);
          const found = await json<Page<AuditEntry>>(response);
          return found.meta.total >= 4 ? found.data : undefined;
        },
        { timeoutMs: 15_000, what: 'four audit entries for the product' },
      );
      assert.deepEqual(entries.map((entry) => entry.action).sort(), [
        'product.created',
        'product.deleted',
        'product.updated',
        'stock.adjusted',
      ]);
      assert.ok(entries.every((entry) => entry.tenant === shop && entry.actorRole === 'MERCHANT'));
      const adjusted = entries.find((entry) => entry.action === 'stock.adjusted')!;
      assert.deepEqual(adjusted.summary, {
        before: { onHand: 1, reserved: 0 },
        after: { onHand: 6, reserved: 0, reason: 'supplier delivery #42' },
      });
      const updated = entries.find((entry) => entry.action === 'product.updated')!;
      assert.deepEqual(
        [(updated.summary.before as { price: number }).price, (updated.summary.after as { price: number }).price],
        [10, 11],
      );
    });

    it("tenant isolation: a product of one tenant does not exist through another's routes", async () => {
      const mine = await create({ name: 'Only in cat_shop', category: 'Isolated', price: 10 });
      const other = `/api/tenants/${otherShop}/products`;
      for (const as of [otherMerchant.token, shopper.token, 'admin']) {
        assert.equal((await list('category=isolated', as, other)).meta.total, 0);
        await expectStatus(await app.request(`${other}/${mine.id}`, { as }), 404);
      }
      await expectStatus(
        await app.request(`${other}/${mine.id}`, { method: 'PATCH', json: { price: 1 }, as: otherMerchant.token }),
        404,
      );
      await expectStatus(
        await app.request(`${other}/${mine.id}/stock`, {
          method: 'PATCH',
          json: { onHand: 0, reason: 'x' },
          as: otherMerchant.token,
        }),
        404,
      );
      // The other tenant's merchant cannot reach this tenant at all.
      await expectStatus(await app.request(`${base}/${mine.id}`, { as: otherMerchant.token }), 404);
      // Its own products are in its own currency.
      const theirs = await create({ name: 'Dollar item', price: 500 }, otherMerchant.token, other);
      assert.equal(theirs.currency, 'USD');
      await expectStatus(await app.request(`${base}/${theirs.id}`, { as: merchant.token }), 404);
    });
  });
}
