import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { createRealInfra, type RealInfra } from '../support/infra.js';
import { customer, readyTenant, type Person } from '../support/people.js';
import { startOrdoProcess, stopAllProcesses, type OrdoProcess } from '../support/processes.js';
import { DROPOFF, expectStatus, Shop } from '../support/shop.js';
import { RealtimeClient } from '../support/sockets.js';

describe('realtime (embedded, in-process)', () => {
  let app: TestApp;
  let shop: Shop;
  const clients: RealtimeClient[] = [];
  const connect = async (token: string | undefined) => {
    const client = await RealtimeClient.connect(app.url, token);
    clients.push(client);
    return client;
  };

  before(async () => {
    app = await startTestApp('embedded');
    shop = await Shop.open(app, 'live_shop');
  });
  after(async () => {
    for (const client of clients) client.close();
    await app?.close();
  });

  it('refuses a connection without a token, or with a bad one', async () => {
    await assert.rejects(connect(undefined), /unauthorized/);
    await assert.rejects(connect('not-a-jwt'), /unauthorized/);
    await assert.rejects(connect(`${shop.shopper.token}x`), /unauthorized/);
  });

  it('a customer sees every status of their order in order; the merchant sees the tenant’s; others nothing', async () => {
    const beans = await shop.product('Live beans', 800, 5);
    const stranger = await customer(app, 'live-stranger');
    const [mine, merchant, theirs] = await Promise.all([
      connect(shop.shopper.token),
      connect(shop.merchant.token),
      connect(stranger.token),
    ]);
    const order = await shop.awaitingPayment(beans.id);
    assert.deepEqual(await mine.watch(shop.code, order.id), { ok: true, room: `order:${shop.code}:${order.id}` });
    assert.deepEqual(await theirs.watch(shop.code, order.id), { ok: false, error: 'not found' });
    assert.deepEqual((await theirs.watch(shop.code, 'not-a-uuid')).ok, false);

    assert.equal((await shop.checkout(order, 'pay')).status, 200);
    // Paid, the order goes on to look for a driver.
    await mine.waitForStatus(order.id, 'DISPATCHING');
    await merchant.waitForStatus(order.id, 'DISPATCHING');
    // The customer got each status once per room it is in (its user room and the order's room).
    const expected = ['AWAITING_PAYMENT', 'PAID', 'DISPATCHING'];
    assert.deepEqual([...new Set(mine.statuses(order.id))], expected);
    assert.deepEqual([...new Set(merchant.statuses(order.id))], expected);
    assert.deepEqual(theirs.statuses(order.id), [], 'another customer saw nothing');
  });
});

describe(
  'realtime across two API processes and a worker (real infrastructure)',
  { skip: await skipUnless('real') },
  () => {
    let infra: RealInfra;
    let apiOne: OrdoProcess;
    let apiTwo: OrdoProcess;
    const clients: RealtimeClient[] = [];

    before(async () => {
      infra = await createRealInfra('realtime');
      [apiOne, apiTwo] = await Promise.all([
        startOrdoProcess({ ...infra.env, MODE: 'api' }, { label: 'api-1' }),
        startOrdoProcess({ ...infra.env, MODE: 'api' }, { label: 'api-2' }),
        startOrdoProcess({ ...infra.env, MODE: 'worker' }, { label: 'worker' }),
        startOrdoProcess({ ...infra.env, MODE: 'scheduler' }, { label: 'scheduler' }),
      ]);
    });
    after(async () => {
      for (const client of clients) client.close();
      await stopAllProcesses();
      await infra?.cleanup();
    });

    it('statuses emitted by the worker reach sockets on both API processes, and only the right ones', async () => {
      const code = 'live_real';
      const merchant: Person = await readyTenant(apiOne, code);
      const [shopper, stranger] = await Promise.all([customer(apiOne, 'live-shopper'), customer(apiOne, 'live-other')]);
      const product = await expectStatus<{ id: string }>(
        await apiOne.request(`/api/tenants/${code}/products`, {
          method: 'POST',
          json: { name: 'Beans', price: 900, initialStock: 3 },
          as: merchant.token,
        }),
        201,
      );
      const connect = async (url: string, token: string) => {
        const client = await RealtimeClient.connect(url, token);
        clients.push(client);
        return client;
      };
      const mine = await connect(apiOne.url!, shopper.token);
      const staff = await connect(apiTwo.url!, merchant.token);
      const theirs = await connect(apiTwo.url!, stranger.token);

      const placed = await expectStatus<{ id: string }>(
        await apiTwo.request(`/api/tenants/${code}/orders`, {
          method: 'POST',
          json: { items: [{ productId: product.id, quantity: 1 }], dropoff: DROPOFF },
          as: shopper.token,
        }),
        202,
      );
      assert.equal((await theirs.watch(code, placed.id)).ok, false, 'another customer cannot join the order');
      await mine.waitForStatus(placed.id, 'AWAITING_PAYMENT');
      const order = await expectStatus<{ payment: { checkoutUrl: string } }>(
        await apiOne.request(`/api/tenants/${code}/orders/${placed.id}`, { as: shopper.token }),
        200,
      );
      const pay = await apiTwo.request(`${new URL(order.payment.checkoutUrl).pathname}/pay`, {
        method: 'POST',
        as: null,
      });
      assert.equal(pay.status, 200);

      await mine.waitForStatus(placed.id, 'DISPATCHING');
      await staff.waitForStatus(placed.id, 'DISPATCHING');
      assert.deepEqual(mine.statuses(placed.id), ['AWAITING_PAYMENT', 'PAID', 'DISPATCHING']);
      assert.deepEqual(staff.statuses(placed.id), ['AWAITING_PAYMENT', 'PAID', 'DISPATCHING']);
      assert.deepEqual(theirs.statuses(placed.id), []);
    });
  },
);
