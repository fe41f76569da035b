import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { TENANT_DATABASES, type TenantDatabases } from '../../src/infra/database/tenant-databases.port.js';
import { haversineKm } from '../../src/infra/geo/geo-math.js';
import { deliveryFee } from '../../src/modules/orders/delivery-fee.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, readyTenant, type Person } from '../support/people.js';
import { waitFor } from '../support/wait-for.js';
import { expectStatus } from '../support/problems.js';

interface Order {
  id: string;
  tenant: string;
  status: string;
  currency: string;
  subtotal: number | null;
  deliveryFee: number | null;
  total: number | null;
  dropoff: { lat: number; lng: number; address: string };
  rejectionReason: string | null;
  cancelReason: string | null;
  items: {
    productId: string;
    quantity: number;
    name: string | null;
    unitPrice: number | null;
    lineTotal: number | null;
  }[];
}

interface Page<T> {
  data: T[];
  meta: { page: number; per_page: number; total: number };
}

interface ProblemBody {
  status: number;
  detail?: string;
  from?: string;
  to?: string;
  errors?: { field: string; message: string }[];
}

const PICKUP = { lat: 52.52, lng: 13.405 };
const DROPOFF = { lat: 52.53, lng: 13.42, address: 'Torstraße 1, Berlin' };

for (const kind of ['embedded', 'real'] as const) {
  describe(`orders (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let merchant: Person;
    let otherMerchant: Person;
    let shopper: Person;
    let stranger: Person;
    const shop = 'ord_shop';
    const otherShop = 'ord_other';
    const orders = `/api/tenants/${shop}/orders`;

    before(async () => {
      app = await startTestApp(kind);
      [merchant, otherMerchant] = await Promise.all([readyTenant(app, shop), readyTenant(app, otherShop)]);
      shopper = await customer(app, 'shopper');
      stranger = await customer(app, 'stranger');
    });
    after(async () => {
      await app?.close();
    });

    async function product(
      body: Record<string, unknown>,
      code = shop,
      token = merchant.token,
    ): Promise<{ id: string; name: string; price: number }> {
      return expectStatus(
        await app.request(`/api/tenants/${code}/products`, { method: 'POST', json: body, as: token }),
        201,
      );
    }

    async function stockOf(id: string, code = shop, token = merchant.token) {
      const view = await expectStatus<{ stock: { onHand: number; reserved: number } }>(
        await app.request(`/api/tenants/${code}/products/${id}`, { as: token }),
        200,
      );
      return view.stock;
    }

    async function place(json: unknown, as = shopper.token, code = shop): Promise<Order> {
      const placed = await expectStatus<Order>(
        await app.request(`/api/tenants/${code}/orders`, { method: 'POST', json, as }),
        202,
      );
      assert.equal(placed.status, 'PENDING');
      return placed;
    }

    async function settled(id: string, as = shopper.token, code = shop): Promise<Order> {
      return waitFor(
        async () => {
          const order = await expectStatus<Order>(await app.request(`/api/tenants/${code}/orders/${id}`, { as }), 200);
          return order.status === 'PENDING' ? undefined : order;
        },
        { timeoutMs: 20_000, what: `order ${id} to be validated` },
      );
    }

    async function countOrders(code = shop): Promise<number> {
      const db = await app.ordo.app.get<TenantDatabases>(TENANT_DATABASES).forTenant(code);
      const [row] = await db.query<{ n: number }>(sql`select count(*)::int as n from orders`);
      return Number(row?.n);
    }

    it('places an order → AWAITING_PAYMENT with snapshotted prices, totals, fee and reserved stock', async () => {
      const beans = await product({ name: 'Beans', price: 1250, initialStock: 5 });
      const cups = await product({ name: 'Cups', price: 300, initialStock: 10 });
      const placed = await place({
        items: [
          { productId: beans.id, quantity: 2 },
          { productId: cups.id, quantity: 3 },
        ],
        dropoff: DROPOFF,
        note: 'ring twice',
      });
      assert.equal(placed.currency, 'EUR');
      assert.equal(placed.total, null);
      const order = await settled(placed.id);
      assert.equal(order.status, 'AWAITING_PAYMENT', JSON.stringify(order));
      const fee = deliveryFee(haversineKm(PICKUP, DROPOFF));
      assert.equal(order.subtotal, 2 * 1250 + 3 * 300);
      assert.equal(order.deliveryFee, fee);
      assert.equal(order.total, 2 * 1250 + 3 * 300 + fee);
      assert.deepEqual(
        order.items.map(({ name, unitPrice, quantity, lineTotal }) => ({ name, unitPrice, quantity, lineTotal })),
        [
          { name: 'Beans', unitPrice: 1250, quantity: 2, lineTotal: 2500 },
          { name: 'Cups', unitPrice: 300, quantity: 3, lineTotal: 900 },
        ],
      );
      // The catalog cache is invalidated after the validator's commit.
      await waitFor(async () => (await stockOf(beans.id)).reserved === 2, { what: 'beans reserved' });
      assert.deepEqual(await stockOf(cups.id), { onHand: 10, reserved: 3, available: 7, inStock: true });

      // A later price change does not touch the placed order.
      await expectStatus(
        await app.request(`/api/tenants/${shop}/products/${beans.id}`, {
          method: 'PATCH',
          json: { price: 9999 },
          as: merchant.token,
        }),
        200,
      );
      assert.equal((await settled(placed.id)).total, order.total);
    });

    it('a saved address can be the drop-off; someone else’s address is a 404', async () => {
      const tea = await product({ name: 'Tea', price: 400, initialStock: 5 });
      const saved = await expectStatus<{ id: string }>(
        await app.request('/api/me/addresses', {
          method: 'POST',
          json: { label: 'Home', address: 'Home street 1', lat: 52.5, lng: 13.4 },
          as: shopper.token,
        }),
        201,
      );
      const placed = await place({ items: [{ productId: tea.id, quantity: 1 }], addressId: saved.id });
      assert.deepEqual(placed.dropoff, { lat: 52.5, lng: 13.4, address: 'Home street 1' });
      assert.equal((await settled(placed.id)).status, 'AWAITING_PAYMENT');
      const before = await countOrders();
      await expectStatus(
        await app.request(orders, {
          method: 'POST',
          json: { items: [{ productId: tea.id, quantity: 1 }], addressId: saved.id },
          as: stranger.token,
        }),
        404,
      );
      assert.equal(await countOrders(), before);
    });

    it('unknown, inactive, deleted and other-tenant products → 422 naming the line, nothing written', async () => {
      const hidden = await product({ name: 'Hidden', price: 100, initialStock: 5, active: false });
      const gone = await product({ name: 'Gone', price: 100, initialStock: 5 });
      await expectStatus(
        await app.request(`/api/tenants/${shop}/products/${gone.id}`, { method: 'DELETE', as: merchant.token }),
        204,
      );
      const foreign = await product({ name: 'Foreign', price: 100, initialStock: 5 }, otherShop, otherMerchant.token);
      const ok = await product({ name: 'Fine', price: 100, initialStock: 5 });
      const before = await countOrders();
      for (const productId of [randomUUID(), hidden.id, gone.id, foreign.id]) {
        const problem = await expectStatus<ProblemBody>(
          await app.request(orders, {
            method: 'POST',
            json: {
              items: [
                { productId: ok.id, quantity: 1 },
                { productId, quantity: 1 },
              ],
              dropoff: DROPOFF,
            },
            as: shopper.token,
          }),
          422,
        );
        assert.deepEqual(
          problem.errors?.map((error) => error.field),
          ['items.1.productId'],
        );
      }
      assert.equal(await countOrders(), before, 'nothing written');
      assert.equal((await stockOf(ok.id)).reserved, 0, 'nothing reserved');
      assert.equal((await stockOf(foreign.id, otherShop, otherMerchant.token)).reserved, 0);
    });

    it('out of stock → REJECTED "out of stock: <name>", nothing reserved', async () => {
      const few = await product({ name: 'Few', price: 100, initialStock: 2 });
      const other = await product({ name: 'Plenty', price: 100, initialStock: 50 });
      const placed = await place({
        items: [
          { productId: other.id, quantity: 1 },
          { productId: few.id, quantity: 3 },
        ],
        dropoff: DROPOFF,
      });
      const order = await settled(placed.id);
      assert.equal(order.status, 'REJECTED');
      assert.equal(order.rejectionReason, 'out of stock: Few');
      assert.equal((await stockOf(other.id)).reserved, 0);
    });

    it('bad input → 4xx problem+json naming the field, nothing written', async () => {
      const item = await product({ name: 'Input', price: 100, initialStock: 5 });
      const before = await countOrders();
      const good = { items: [{ productId: item.id, quantity: 1 }], dropoff: DROPOFF };
      for (const [body, field] of [
        [{ ...good, items: [{ productId: item.id, quantity: -1 }] }, 'items.0.quantity'],
        [{ ...good, items: [{ productId: item.id, quantity: 0 }] }, 'items.0.quantity'],
        [{ ...good, items: [{ productId: item.id, quantity: 1.5 }] }, 'items.0.quantity'],
        [{ ...good, items: [{ productId: 'nope', quantity: 1 }] }, 'items.0.productId'],
        [{ ...good, items: [] }, 'items'],
        [{ ...good, colour: 'red' }, 'colour'],
        [{ ...good, items: [{ productId: item.id, quantity: 1, price: 1 }] }, 'items.0.price'],
        [{ ...good, addressId: randomUUID() }, 'dropoff'],
        [{ items: good.items }, 'addressId'],
        [{ ...good, note: 'x'.repeat(501) }, 'note'],
        [{ ...good, dropoff: { ...DROPOFF, lat: 91 } }, 'dropoff.lat'],
        [
          {
            ...good,
            items: [
              { productId: item.id, quantity: 1 },
              { productId: item.id, quantity: 2 },
            ],
          },
          'items.1.productId',
        ],
      ] as const) {
        const problem = await expectStatus<ProblemBody>(
          await app.request(orders, { method: 'POST', json: body, as: shopper.token }),
          400,
        );
        assert.ok(
          problem.errors?.some((error) => error.field === field),
          `${field}: ${JSON.stringify(problem)}`,
        );
      }
      const huge = await app.request(orders, {
        method: 'POST',
        body: JSON.stringify({ ...good, note: 'x'.repeat(10 * 1024 * 1024) }),
        headers: { 'content-type': 'application/json' },
        as: shopper.token,
      });
      assert.equal(huge.status, 413, await huge.clone().text());
      assert.match(huge.headers.get('content-type') ?? '', /^application\/problem\+json/);
      await huge.body?.cancel();
      await expectStatus(await app.request(orders, { method: 'POST', json: good, as: merchant.token }), 403);
      assert.equal(await countOrders(), before, 'nothing written');
    });

    it('cancel from AWAITING_PAYMENT releases the stock; cancelling again → 409 naming from and to', async () => {
      const item = await product({ name: 'Cancellable', price: 700, initialStock: 4 });
      const placed = await place({ items: [{ productId: item.id, quantity: 3 }], dropoff: DROPOFF });
      assert.equal((await settled(placed.id)).status, 'AWAITING_PAYMENT');
      await waitFor(async () => (await stockOf(item.id)).reserved === 3, { what: 'reserved' });
      const cancelled = await expectStatus<Order>(
        await app.request(`${orders}/${placed.id}/cancel`, {
          method: 'POST',
          json: { reason: 'changed my mind' },
          as: shopper.token,
        }),
        200,
      );
      assert.equal(cancelled.status, 'CANCELLED');
      assert.equal(cancelled.cancelReason, 'changed my mind');
      assert.deepEqual(await stockOf(item.id), { onHand: 4, reserved: 0, available: 4, inStock: true });
      const again = await expectStatus<ProblemBody>(
        await app.request(`${orders}/${placed.id}/cancel`, {
          method: 'POST',
          json: { reason: 'again' },
          as: merchant.token,
        }),
        409,
      );
      assert.equal(again.from, 'CANCELLED');
      assert.equal(again.to, 'CANCELLED');
    });

    it('cancel of a REJECTED order → 409 naming from and to; the history lists every transition', async () => {
      const none = await product({ name: 'None left', price: 100, initialStock: 0 });
      const placed = await place({ items: [{ productId: none.id, quantity: 1 }], dropoff: DROPOFF });
      assert.equal((await settled(placed.id)).status, 'REJECTED');
      const problem = await expectStatus<ProblemBody>(
        await app.request(`${orders}/${placed.id}/cancel`, { method: 'POST', json: { reason: 'x' }, as: 'admin' }),
        409,
      );
      assert.equal(problem.from, 'REJECTED');
      assert.equal(problem.to, 'CANCELLED');
      assert.match(problem.detail ?? '', /REJECTED to CANCELLED/);

      const item = await product({ name: 'Storied', price: 100, initialStock: 1 });
      const storied = await place({ items: [{ productId: item.id, quantity: 1 }], dropoff: DROPOFF });
      await settled(storied.id);
      await expectStatus(
        await app.request(`${orders}/${storied.id}/cancel`, {
          method: 'POST',
          json: { reason: 'out of time' },
          as: merchant.token,
        }),
        200,
      );
      const history = await expectStatus<{
        data: { from: string | null; to: string; actor: { id: string | null; role: string }; reason: string | null }[];
      }>(await app.request(`${orders}/${storied.id}/events`, { as: shopper.token }), 200);
      assert.deepEqual(
        history.data.map(({ from, to, actor, reason }) => ({ from, to, actor, reason })),
        [
          { from: null, to: 'PENDING', actor: { id: shopper.id, role: 'CUSTOMER' }, reason: 'placed' },
          {
            from: 'PENDING',
            to: 'AWAITING_PAYMENT',
            actor: { id: 'consumer:order-validator', role: 'SYSTEM' },
            reason: 'items reserved',
          },
          {
            from: 'AWAITING_PAYMENT',
            to: 'CANCELLED',
            actor: { id: merchant.id, role: 'MERCHANT' },
            reason: 'out of time',
          },
        ],
      );
      // The audit trail recorded each transition (the audit consumer is asynchronous).
      await waitFor(
        async () => {
          const page = await expectStatus<Page<{ action: string }>>(
            await app.request(`/api/audit-logs?entityId=${storied.id}&per_page=100`),
            200,
          );
          const actions = page.data.map((entry) => entry.action);
          return ['order.placed', 'order.validated', 'order.cancelled'].every((action) => actions.includes(action));
        },
        { what: 'audit entries of the order' },
      );
    });

    it('a PENDING order cancelled before validation stays CANCELLED; the validator does nothing', async () => {
      const item = await product({ name: 'Racy', price: 100, initialStock: 5 });
      const placed = await place({ items: [{ productId: item.id, quantity: 1 }], dropoff: DROPOFF });
      const response = await app.request(`${orders}/${placed.id}/cancel`, {
        method: 'POST',
        json: { reason: 'quick' },
        as: shopper.token,
      });
      // Either the validator ran first (AWAITING_PAYMENT → CANCELLED) or not (PENDING → CANCELLED): both fine.
      assert.equal(response.status, 200, await response.text());
      const order = await settled(placed.id);
      assert.equal(order.status, 'CANCELLED');
      await waitFor(async () => (await stockOf(item.id)).reserved === 0, { what: 'nothing left reserved' });
    });

    it('reads: its customer, the merchant and admin see the order; another customer and another tenant do not', async () => {
      const item = await product({ name: 'Private', price: 100, initialStock: 5 });
      const placed = await place({ items: [{ productId: item.id, quantity: 1 }], dropoff: DROPOFF });
      for (const as of [shopper.token, merchant.token, 'admin']) {
        await expectStatus(await app.request(`${orders}/${placed.id}`, { as }), 200);
        await expectStatus(await app.request(`${orders}/${placed.id}/events`, { as }), 200);
      }
      await expectStatus(await app.request(`${orders}/${placed.id}`, { as: stranger.token }), 404);
      await expectStatus(await app.request(`${orders}/${placed.id}/events`, { as: stranger.token }), 404);
      await expectStatus(
        await app.request(`${orders}/${placed.id}/cancel`, {
          method: 'POST',
          json: { reason: 'x' },
          as: stranger.token,
        }),
        404,
      );
      // Tenant isolation: tenant A's order does not exist in tenant B, for B's merchant, the customer or admin.
      await expectStatus(
        await app.request(`/api/tenants/${otherShop}/orders/${placed.id}`, { as: otherMerchant.token }),
        404,
      );
      await expectStatus(
        await app.request(`/api/tenants/${otherShop}/orders/${placed.id}`, { as: shopper.token }),
        404,
      );
      await expectStatus(await app.request(`/api/tenants/${otherShop}/orders/${placed.id}`, { as: 'admin' }), 404);
      await expectStatus(await app.request(`${orders}/${placed.id}`, { as: otherMerchant.token }), 404);
      const otherList = await expectStatus<Page<Order>>(
        await app.request(`/api/tenants/${otherShop}/orders`, { as: otherMerchant.token }),
        200,
      );
      assert.ok(!otherList.data.some((order) => order.id === placed.id));
      await expectStatus(await app.request(orders, { as: shopper.token }), 403);
    });

    it('merchant list: newest first, filter by status and date range, paginated', async () => {
      const item = await product({ name: 'Listed', price: 100, initialStock: 100 });
      const start = new Date().toISOString();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push((await place({ items: [{ productId: item.id, quantity: 1 }], dropoff: DROPOFF })).id);
      }
      for (const id of ids) await settled(id);
      const page = await expectStatus<Page<Order>>(
        await app.request(`${orders}?status=AWAITING_PAYMENT&from=${encodeURIComponent(start)}&per_page=2`, {
          as: merchant.token,
        }),
        200,
      );
      assert.equal(page.meta.total, 3);
      assert.deepEqual(
        page.data.map((order) => order.id),
        [ids[2], ids[1]],
      );
      const second = await expectStatus<Page<Order>>(
        await app.request(`${orders}?status=AWAITING_PAYMENT&from=${encodeURIComponent(start)}&per_page=2&page=2`, {
          as: 'admin',
        }),
        200,
      );
      assert.deepEqual(
        second.data.map((order) => order.id),
        [ids[0]],
      );
      const none = await expectStatus<Page<Order>>(
        await app.request(`${orders}?to=${encodeURIComponent(start)}&from=${encodeURIComponent(start)}`, {
          as: merchant.token,
        }),
        200,
      );
      assert.equal(none.meta.total, 0);
      await expectStatus(await app.request(`${orders}?status=NOPE`, { as: merchant.token }), 400);
    });

    it('GET /api/orders: a customer’s own orders across tenants, newest first, paginated (once the read model has them)', async () => {
      const buyer = await customer(app, 'buyer');
      const here = await product({ name: 'Here', price: 100, initialStock: 5 });
      const there = await product({ name: 'There', price: 100, initialStock: 5 }, otherShop, otherMerchant.token);
      const first = await place({ items: [{ productId: here.id, quantity: 1 }], dropoff: DROPOFF }, buyer.token);
      const second = await place(
        { items: [{ productId: there.id, quantity: 1 }], dropoff: DROPOFF },
        buyer.token,
        otherShop,
      );
      const third = await place({ items: [{ productId: here.id, quantity: 1 }], dropoff: DROPOFF }, buyer.token);
      // The list is a read model kept by order events: an order shows a moment after it was placed.
      const all = await waitFor(
        async () => {
          const listed = await expectStatus<Page<Order>>(await app.request('/api/orders', { as: buyer.token }), 200);
          return listed.meta.total === 3 ? listed : undefined;
        },
        { what: 'the three orders to be listed' },
      );
      assert.deepEqual(
        all.data.map((order) => [order.id, order.tenant]),
        [
          [third.id, shop],
          [second.id, otherShop],
          [first.id, shop],
        ],
      );
      const paged = await expectStatus<Page<Order>>(
        await app.request('/api/orders?page=2&per_page=2', { as: buyer.token }),
        200,
      );
      assert.deepEqual(
        paged.data.map((order) => order.id),
        [first.id],
      );
      const strangers = await expectStatus<Page<Order>>(await app.request('/api/orders', { as: stranger.token }), 200);
      assert.ok(!strangers.data.some((order) => [first.id, second.id, third.id].includes(order.id)));
      await expectStatus(await app.request('/api/orders', { as: merchant.token }), 403);
    });

    it('Idempotency-Key: same key and body → the same order and status; another body → 422; on cancel too', async () => {
      const item = await product({ name: 'Once', price: 100, initialStock: 5 });
      const body = { items: [{ productId: item.id, quantity: 1 }], dropoff: DROPOFF };
      const key = `key-${randomUUID()}`;
      const send = (json: unknown, as = shopper.token) =>
        app.request(orders, { method: 'POST', json, as, headers: { 'idempotency-key': key } });
      const before = await countOrders();
      const first = await expectStatus<Order>(await send(body), 202);
      const second = await expectStatus<Order>(await send(body), 202);
      assert.equal(second.id, first.id);
      assert.deepEqual(second, first, 'the stored response, exactly');
      const problem = await expectStatus<ProblemBody>(
        await send({ ...body, items: [{ productId: item.id, quantity: 2 }] }),
        422,
      );
      assert.equal(problem.errors?.[0]?.field, 'Idempotency-Key');
      // Another customer's key is their own.
      const theirs = await expectStatus<Order>(await send(body, stranger.token), 202);
      assert.notEqual(theirs.id, first.id);
      assert.equal(await countOrders(), before + 2);
      await expectStatus(
        await app.request(orders, {
          method: 'POST',
          json: body,
          as: shopper.token,
          headers: { 'idempotency-key': '' },
        }),
        400,
      );

      await settled(first.id);
      const cancel = () =>
        app.request(`${orders}/${first.id}/cancel`, {
          method: 'POST',
          json: { reason: 'dup' },
          as: shopper.token,
          headers: { 'idempotency-key': key },
        });
      const cancelled = await expectStatus<Order>(await cancel(), 200);
      assert.equal(cancelled.status, 'CANCELLED');
      assert.deepEqual(await expectStatus<Order>(await cancel(), 200), cancelled, 'replayed, not a 409');
    });
  });
}
