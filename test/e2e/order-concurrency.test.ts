import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { TENANT_DATABASES, type TenantDatabases } from '../../src/infra/database/tenant-databases.port.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, readyTenant, type Person } from '../support/people.js';
import { waitFor } from '../support/wait-for.js';

const DROPOFF = { lat: 52.53, lng: 13.42, address: 'Torstraße 1, Berlin' };

for (const kind of ['embedded', 'real'] as const) {
  describe(`order concurrency (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let merchant: Person;
    let customers: Person[];
    const shop = 'conc_shop';
    const orders = `/api/tenants/${shop}/orders`;

    before(async () => {
      app = await startTestApp(kind);
      merchant = await readyTenant(app, shop);
      customers = await Promise.all(Array.from({ length: 5 }, (_, i) => customer(app, `crowd${i}`)));
    });
    after(async () => {
      await app?.close();
    });

    const db = () => app.ordo.app.get<TenantDatabases>(TENANT_DATABASES).forTenant(shop);

    async function newProduct(initialStock: number): Promise<string> {
      const response = await app.request(`/api/tenants/${shop}/products`, {
        method: 'POST',
        json: { name: `Scarce ${randomUUID()}`, price: 500, initialStock },
        as: merchant.token,
      });
      assert.equal(response.status, 201, await response.clone().text());
      return ((await response.json()) as { id: string }).id;
    }

    /**
     * A well-behaved client: on 503 it waits what `Retry-After` says and sends the same request again, with
     * the same Idempotency-Key, so a retry never makes a second order. Anything but 202 or such a 503 is
     * returned as it is.
     */
    async function placeHonouringRetryAfter(body: unknown, as: Person): Promise<Response> {
      const key = randomUUID();
      for (let attempt = 1; ; attempt++) {
        const response = await app.request(orders, {
          method: 'POST',
          json: body,
          as: as.token,
          headers: { 'idempotency-key': key },
        });
        const retryAfter = Number(response.headers.get('retry-after'));
        if (response.status !== 503 || !(retryAfter > 0) || attempt === 10) return response;
        await new Promise((resolve) => setTimeout(resolve, retryAfter * 1_000));
      }
    }

    it('200 concurrent single-unit orders on stock 10 → exactly 10 AWAITING_PAYMENT, 190 REJECTED', async () => {
      const productId = await newProduct(10);
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          placeHonouringRetryAfter(
            { items: [{ productId, quantity: 1 }], dropoff: DROPOFF },
            customers[i % customers.length]!,
          ),
        ),
      );
      const ids: string[] = [];
      for (const response of responses) {
        const body = (await response.json()) as { id: string; errorId?: string };
        assert.equal(
          response.status,
          202,
          `${JSON.stringify(body)}\nthe server's log:\n${body.errorId ? app.serverLogFor(body.errorId) : '(no error id)'}`,
        );
        ids.push(body.id);
      }
      assert.equal(new Set(ids).size, 200);
      const database = await db();
      const counts = await waitFor(
        async () => {
          const rows = await database.query<{ status: string; reason: string | null; n: number }>(
            sql`select status, rejection_reason as reason, count(*)::int as n from orders
                where id in (select order_id from order_items where product_id = ${productId})
                group by status, rejection_reason`,
          );
          const pending = rows.find((row) => row.status === 'PENDING');
          return pending ? undefined : rows;
        },
        { timeoutMs: 120_000, intervalMs: 250, what: 'all 200 orders validated' },
      );
      const byStatus = Object.fromEntries(counts.map((row) => [`${row.status}:${row.reason ?? ''}`, Number(row.n)]));
      assert.deepEqual(byStatus, {
        'AWAITING_PAYMENT:': 10,
        [`REJECTED:out of stock: ${(await database.query<{ name: string }>(sql`select name from products where id = ${productId}`))[0]!.name}`]: 190,
      });
      const [level] = await database.query<{ on_hand: number; reserved: number }>(
        sql`select on_hand, reserved from stock where product_id = ${productId}`,
      );
      assert.deepEqual(
        { onHand: Number(level?.on_hand), reserved: Number(level?.reserved) },
        { onHand: 10, reserved: 10 },
      );
      const [events] = await database.query<{ n: number }>(
        sql`select count(*)::int as n from order_events where order_id in (select order_id from order_items where product_id = ${productId})`,
      );
      assert.equal(Number(events?.n), 400, 'two order events per order');
    });

    it('the same Idempotency-Key sent twice (and more) at once → one order', async () => {
      const productId = await newProduct(5);
      const key = `same-${randomUUID()}`;
      const [buyer] = customers;
      const responses = await Promise.all(
        Array.from({ length: 4 }, () =>
          app.request(orders, {
            method: 'POST',
            json: { items: [{ productId, quantity: 1 }], dropoff: DROPOFF },
            as: buyer!.token,
            headers: { 'idempotency-key': key },
          }),
        ),
      );
      const ids = new Set<string>();
      for (const response of responses) {
        assert.equal(response.status, 202, await response.clone().text());
        ids.add(((await response.json()) as { id: string }).id);
      }
      assert.equal(ids.size, 1, 'every response names the same order');
      const database = await db();
      const [row] = await database.query<{ n: number }>(
        sql`select count(*)::int as n from order_items where product_id = ${productId}`,
      );
      assert.equal(Number(row?.n), 1, 'one order');
      const [id] = [...ids];
      await waitFor(
        async () => {
          const [order] = await database.query<{ status: string }>(sql`select status from orders where id = ${id}`);
          return order?.status === 'AWAITING_PAYMENT';
        },
        { what: 'the order validated' },
      );
      const [placedEvents] = await database.query<{ n: number }>(
        sql`select count(*)::int as n from outbox where type = 'order.placed' and aggregate_id = ${id}`,
      );
      assert.equal(Number(placedEvents?.n), 1, 'one order.placed');
    });
  });
}
