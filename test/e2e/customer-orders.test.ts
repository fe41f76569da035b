import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { newId } from '../../src/common/ids.js';
import { BUS, type BusPort } from '../../src/infra/bus/bus.port.js';
import type { Envelope } from '../../src/infra/bus/envelope.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../src/infra/database/tenant-databases.port.js';
import { backfillCustomerOrders } from '../../src/modules/orders/customer-orders.backfill.js';
import { CUSTOMER_ORDERS } from '../../src/modules/orders/customer-orders.projector.js';
import type { OrderSnapshot } from '../../src/modules/orders/orders.events.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, readyTenants, type Person } from '../support/people.js';
import { expectStatus } from '../support/problems.js';
import { DROPOFF } from '../support/shop.js';
import { waitFor } from '../support/wait-for.js';

// GET /api/orders reads the `customer_orders` read model in the control database, kept by the
// `customer-orders` consumer from order events: one page query however many tenants there are.

interface Summary {
  id: string;
  tenant: string;
  customerId: string;
  status: string;
  total: number | null;
  cancelReason: string | null;
  createdAt: string;
  [field: string]: unknown;
}

interface Page {
  data: Summary[];
  meta: { page: number; per_page: number; total: number };
}

const SHOPS = 50;

for (const kind of ['embedded', 'real'] as const) {
  describe(`customer orders read model (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let control: SqlDatabase;
    let buyer: Person;
    let other: Person;
    const codes = Array.from({ length: SHOPS }, (_, index) => `co_shop_${String(index).padStart(2, '0')}`);
    /** The buyer's orders, one per shop, in the order they were placed. */
    const placed: { id: string; tenant: string }[] = [];

    before(async () => {
      app = await startTestApp(kind);
      control = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
      const started = Date.now();
      [buyer, other] = await Promise.all([
        customer(app, 'buyer'),
        customer(app, 'other'),
        readyTenants(app, codes, 10),
      ]);
      console.log(`# ${SHOPS} tenants READY in ${Date.now() - started} ms (${kind})`);
    });
    after(async () => {
      await app?.close();
    });

    const list = async (as: Person, query = '') =>
      expectStatus<Page>(await app.request(`/api/orders${query}`, { as: as.token }), 200);

    /** Every page of `as`'s list, `perPage` at a time, checking each page's meta on the way. */
    async function allPages(as: Person, perPage: number): Promise<Summary[]> {
      const seen: Summary[] = [];
      for (let page = 1; ; page++) {
        const body = await list(as, `?page=${page}&per_page=${perPage}`);
        assert.deepEqual({ page: body.meta.page, per_page: body.meta.per_page }, { page, per_page: perPage });
        assert.ok(body.data.length <= perPage);
        if (body.data.length === 0) return seen;
        seen.push(...body.data);
        assert.equal(body.meta.total, SHOPS, `page ${page} counts every order`);
      }
    }

    it(`one customer orders in each of ${SHOPS} shops: each order is listed once, newest first, ${SHOPS} in total, over 3 pages`, async () => {
      // The admin stocks every shop (owners are not signed in: sign-ins are rate limited per IP).
      const products = await Promise.all(
        codes.map(async (code) => {
          const product = await expectStatus<{ id: string }>(
            await app.request(`/api/tenants/${code}/products`, {
              method: 'POST',
              json: { name: `Tea of ${code}`, price: 400, initialStock: 5 },
            }),
            201,
          );
          return { code, productId: product.id };
        }),
      );
      // One after the other, so the newest-first order is known.
      for (const { code, productId } of products) {
        const order = await expectStatus<{ id: string }>(
          await app.request(`/api/tenants/${code}/orders`, {
            method: 'POST',
            json: { items: [{ productId, quantity: 1 }], dropoff: DROPOFF },
            as: buyer.token,
          }),
          202,
        );
        placed.push({ id: order.id, tenant: code });
      }
      await expectStatus(
        await app.request(`/api/tenants/${codes[0]}/orders`, {
          method: 'POST',
          json: { items: [{ productId: products[0]!.productId, quantity: 1 }], dropoff: DROPOFF },
          as: other.token,
        }),
        202,
      );

      // Eventually consistent: wait until every order is listed and validated (its total known).
      await waitFor(
        async () => {
          const page = await list(buyer, '?per_page=100');
          return page.meta.total === SHOPS && page.data.every((order) => order.status === 'AWAITING_PAYMENT');
        },
        { timeoutMs: 60_000, what: `all ${SHOPS} orders to be listed as AWAITING_PAYMENT` },
      );
      const listed = await allPages(buyer, 20);
      assert.equal(listed.length, SHOPS);
      assert.deepEqual(
        listed.map((order) => [order.id, order.tenant]),
        placed.map((order) => [order.id, order.tenant]).reverse(),
        'each order once, newest first',
      );
      for (const [index, order] of listed.entries()) {
        assert.equal(order.customerId, buyer.id);
        if (index > 0) assert.ok(order.createdAt <= listed[index - 1]!.createdAt, 'newest first by creation time');
      }
      const pages = await Promise.all([1, 2, 3].map((page) => list(buyer, `?page=${page}&per_page=20`)));
      assert.deepEqual(
        pages.map((page) => page.data.length),
        [20, 20, 10],
      );

      // A listed order reads as the order itself does (GET …/orders/:id, less items, payment and ETA).
      const newest = placed.at(-1)!;
      const {
        items: _items,
        payment: _payment,
        eta: _eta,
        ...own
      } = await expectStatus<Record<string, unknown>>(
        await app.request(`/api/tenants/${newest.tenant}/orders/${newest.id}`, { as: buyer.token }),
        200,
      );
      assert.deepEqual(listed[0], own);

      const others = await list(other);
      assert.equal(others.meta.total, 1);
      assert.ok(!others.data.some((order) => placed.some((mine) => mine.id === order.id)), 'no one else’s orders');
    });

    it('a status change shows in the list: a cancelled order is listed CANCELLED with its reason', async () => {
      const victim = placed[17]!;
      await expectStatus(
        await app.request(`/api/tenants/${victim.tenant}/orders/${victim.id}/cancel`, {
          method: 'POST',
          json: { reason: 'changed my mind' },
          as: buyer.token,
        }),
        200,
      );
      const listed = await waitFor(
        async () => {
          const page = await list(buyer, '?per_page=100');
          const order = page.data.find((entry) => entry.id === victim.id);
          return order?.status === 'CANCELLED' ? page : undefined;
        },
        { what: 'the cancellation to show in the list' },
      );
      assert.equal(listed.meta.total, SHOPS, 'still listed, once');
      const order = listed.data.find((entry) => entry.id === victim.id)!;
      assert.equal(order.cancelReason, 'changed my mind');
    });

    it('only READY tenants are listed: a suspended shop’s order disappears and comes back with it', async () => {
      const shop = placed[3]!;
      const setStatus = (status: string) =>
        control.query(sql`update tenants set status = ${status} where code = ${shop.tenant}`);
      await setStatus('SUSPENDED');
      try {
        const page = await list(buyer, '?per_page=100');
        assert.equal(page.meta.total, SHOPS - 1);
        assert.ok(!page.data.some((order) => order.id === shop.id));
      } finally {
        await setStatus('READY');
      }
      assert.equal((await list(buyer)).meta.total, SHOPS);
    });

    /** Hands an envelope to the consumer alone and waits until it has been handled (its inbox mark). */
    async function deliver(envelope: Envelope): Promise<void> {
      await app.ordo.app.get<BusPort>(BUS).sendTo(CUSTOMER_ORDERS, envelope);
      await waitFor(
        async () =>
          (
            await control.query(
              sql`select 1 from inbox where message_id = ${envelope.id} and consumer = ${CUSTOMER_ORDERS}`,
            )
          ).length === 1,
        { timeoutMs: 15_000, what: `${envelope.type} to be handled` },
      );
    }

    it('events out of order, redelivered or without a snapshot never take an order back to an older status', async () => {
      const late = await customer(app, 'late');
      const orderId = newId();
      const tenant = codes[0]!;
      const at = new Date().toISOString();
      const snapshot = (status: string, extra: Partial<OrderSnapshot> = {}): OrderSnapshot => ({
        kind: 'DELIVERY',
        status: status as OrderSnapshot['status'],
        currency: 'EUR',
        subtotal: 400,
        deliveryFee: 300,
        total: 700,
        dropoff: DROPOFF,
        note: null,
        pickup: { lat: 52.52, lng: 13.405, address: 'Alexanderplatz 1, Berlin' },
        driver: null,
        proofNote: null,
        rejectionReason: null,
        cancelReason: null,
        createdAt: at,
        updatedAt: at,
        ...extra,
      });
      const envelope = (type: string, payload: Record<string, unknown>): Envelope => ({
        id: newId(),
        type,
        tenant,
        aggregateId: orderId,
        occurredAt: new Date().toISOString(),
        attempt: 1,
        payload: { orderId, customerId: late.id, ...payload },
      });
      const cancelled = envelope('order.cancelled', {
        before: { status: 'AWAITING_PAYMENT' },
        after: { status: 'CANCELLED', reason: 'too slow' },
        order: snapshot('CANCELLED', { cancelReason: 'too slow' }),
      });
      const statusListed = async () => {
        const order = (await list(late)).data.find((entry) => entry.id === orderId);
        return [order?.status, order?.cancelReason];
      };

      // The newest event first (an event may overtake another on its way), then the older ones.
      await deliver(cancelled);
      assert.deepEqual(await statusListed(), ['CANCELLED', 'too slow']);
      await deliver(
        envelope('order.validated', {
          before: { status: 'PENDING' },
          after: { status: 'AWAITING_PAYMENT' },
          order: snapshot('AWAITING_PAYMENT'),
        }),
      );
      await deliver(
        envelope('order.placed', {
          before: null,
          after: { status: 'PENDING', items: 1 },
          order: snapshot('PENDING', { subtotal: null, deliveryFee: null, total: null }),
        }),
      );
      // An event written before events carried the order (no snapshot): status only, and only forward.
      await deliver(envelope('order.paid', { before: { status: 'AWAITING_PAYMENT' }, after: { status: 'PAID' } }));
      assert.deepEqual(await statusListed(), ['CANCELLED', 'too slow']);

      // The same message again, its inbox mark gone (a dead letter replayed after the mark expired): no change.
      await control.query(sql`delete from inbox where message_id = ${cancelled.id} and consumer = ${CUSTOMER_ORDERS}`);
      await deliver(cancelled);
      assert.deepEqual(await statusListed(), ['CANCELLED', 'too slow']);

      // A burst (likely one batch, one upsert): every event of another order at once, newest first.
      const burst = newId();
      const of = (type: string, payload: Record<string, unknown>) => ({
        ...envelope(type, payload),
        aggregateId: burst,
        payload: { orderId: burst, customerId: late.id, ...payload },
      });
      await Promise.all(
        [
          of('order.cancelled', {
            before: { status: 'AWAITING_PAYMENT' },
            after: { status: 'CANCELLED' },
            order: snapshot('CANCELLED', { cancelReason: 'burst' }),
          }),
          of('order.validated', {
            before: { status: 'PENDING' },
            after: { status: 'AWAITING_PAYMENT' },
            order: snapshot('AWAITING_PAYMENT'),
          }),
          of('order.placed', { before: null, after: { status: 'PENDING', items: 1 }, order: snapshot('PENDING') }),
        ].map(deliver),
      );
      const burstListed = (await list(late)).data.find((order) => order.id === burst);
      assert.deepEqual([burstListed?.status, burstListed?.cancelReason], ['CANCELLED', 'burst']);

      const dead = await control.query(sql`select 1 from dead_letters where consumer = ${CUSTOMER_ORDERS}`);
      assert.equal(dead.length, 0);
    });

    it('the backfill copies orders the read model never saw (placed before it existed), and changes nothing twice', async () => {
      const before = await allPages(buyer, 100);
      await control.query(sql`delete from customer_orders where customer_id = ${buyer.id}`);
      assert.equal((await list(buyer)).meta.total, 0);
      const tenants = app.ordo.app.get<TenantDatabases>(TENANT_DATABASES);
      const results = await backfillCustomerOrders(control, tenants);
      assert.ok(results.filter((result) => codes.includes(result.tenant)).every((result) => result.orders >= 1));
      assert.deepEqual(await allPages(buyer, 100), before);
      await backfillCustomerOrders(control, tenants);
      assert.deepEqual(await allPages(buyer, 100), before);
    });
  });
}
