import { setTimeout as sleep } from 'node:timers/promises';
import { TestClock } from '../support/clock.js';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer } from '../support/people.js';
import { expectProblem } from '../support/problems.js';
import { paymentDriver, PROVIDERS, StripePayments, type PaymentDriver } from '../support/payment-drivers.js';
import { expectStatus, Shop, type ShopOrder } from '../support/shop.js';
import { waitFor } from '../support/wait-for.js';

interface PaymentHistory {
  data: {
    id: string;
    status: string;
    sandbox: boolean;
    amount: number;
    currency: string;
    events: { type: string; providerEventId: string | null; outcome: string }[];
    refunds: { status: string; amount: number; providerRef: string | null }[];
  }[];
}
interface OrderEvents {
  data: { from: string | null; to: string; actor: { id: string | null; role: string }; reason: string | null }[];
}

// The same suite on both payment providers: the built-in sandbox, and Stripe through its SDK against the
// local stand-in (test/support/stripe-stand-in.ts). Stripe-only behaviour is in payments-stripe.test.ts.
for (const [kind, provider] of (['embedded', 'real'] as const).flatMap((kind) =>
  PROVIDERS.map((p) => [kind, p] as const),
)) {
  describe(`payments (${kind}, ${provider})`, { skip: await skipUnless(kind) }, () => {
    // A provider's own checkout page is tested only under that provider: defined there, not skipped elsewhere.
    const onlyUnder = (wanted: typeof provider) => (title: string, test: () => Promise<void>) => {
      if (provider === wanted) it(title, test);
    };
    let app: TestApp;
    let shop: Shop;
    let payments: PaymentDriver;

    before(async () => {
      payments = await paymentDriver(provider);
      app = await startTestApp(kind, payments.env);
      shop = await Shop.open(app, 'pay_shop', payments);
    });
    after(async () => {
      await app?.close();
      await payments?.close();
    });

    const history = async (order: ShopOrder) =>
      expectStatus<PaymentHistory>(
        await app.request(`${shop.base}/orders/${order.id}/payments`, { as: shop.shopper.token }),
        200,
      );
    const events = async (order: ShopOrder) =>
      expectStatus<OrderEvents>(
        await app.request(`${shop.base}/orders/${order.id}/events`, { as: shop.shopper.token }),
        200,
      );

    onlyUnder('sandbox')(
      'an order awaiting payment carries its checkout, marked sandbox; the page shows merchant, amount and a sandbox banner',
      async () => {
        const beans = await shop.product('Beans', 1250, 5);
        const order = await shop.awaitingPayment(beans.id, 2);
        const payment = order.payment!;
        assert.equal(payment.status, 'PENDING');
        assert.equal(payment.sandbox, true, 'a sandbox checkout says so: no money will move');
        assert.equal((await history(order)).data[0]?.sandbox, true);
        assert.match(payment.checkoutUrl, /\/pay\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        const ttl = Date.parse(payment.expiresAt) - Date.now();
        assert.ok(ttl > 14 * 60_000 && ttl <= 15 * 60_000, `expires in about 15 minutes (PAYMENT_TTL), got ${ttl} ms`);

        const page = await app.request(new URL(payment.checkoutUrl).pathname, { as: null });
        assert.equal(page.status, 200);
        assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
        const html = await page.text();
        assert.match(html, /Shop pay_shop/);
        assert.match(html, new RegExp(`€${(order.total! / 100).toFixed(2).replace('.', '\\.')}`));
        assert.match(html, /id="pay"/);
        assert.match(html, /id="decline"/);
        assert.match(html, /<p class="sandbox" id="sandbox"[^>]*>SANDBOX[^<]*no money moves/);

        const forged = await app.request(`/pay/${new URL(payment.checkoutUrl).pathname.split('/')[2]}x`, { as: null });
        assert.equal(forged.status, 404, 'a tampered token finds nothing');
      },
    );

    onlyUnder('stripe')(
      "the checkout link opens the payment's one Checkout Session, in minor units, and redirects to it",
      async () => {
        const { standIn } = payments as StripePayments;
        const beans = await shop.product('Stripe beans', 1250, 5);
        const order = await shop.awaitingPayment(beans.id, 2);
        const payment = order.payment!;
        assert.equal(payment.status, 'PENDING');
        assert.equal(payment.sandbox, false, 'a Stripe checkout is real money');
        assert.match(payment.checkoutUrl, /\/pay\/stripe\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        assert.equal(
          standIn.requests.filter((request) => request.params.client_reference_id === payment.id).length,
          0,
          'no network call while the order was validated: the session opens when the customer follows the link',
        );

        const first = await shop.openCheckout(order);
        assert.equal(first.status, 303);
        const session = standIn.sessionAt(first.headers.get('location')!);
        const creates = standIn.requests.filter((request) => request.path === '/v1/checkout/sessions');
        const create = creates.find((request) => request.params.client_reference_id === payment.id)!;
        assert.equal(create.idempotencyKey, `ordo-checkout-${payment.id}`);
        assert.deepEqual(create.params.line_items, [
          {
            quantity: '1',
            price_data: {
              currency: 'eur',
              unit_amount: String(order.total),
              product_data: { name: `Shop pay_shop — order ${order.id}` },
            },
          },
        ]);
        const metadata = { ordo_tenant: 'pay_shop', ordo_payment: payment.id, ordo_order: order.id };
        assert.deepEqual(create.params.metadata, metadata);
        assert.deepEqual(create.params.payment_intent_data, { metadata });
        assert.equal(session.amount_total, order.total);

        const again = await shop.openCheckout(order);
        assert.equal(again.status, 303);
        assert.equal(again.headers.get('location'), first.headers.get('location'), 'the same session');
        assert.equal(
          standIn.requests.filter((request) => request.params.client_reference_id === payment.id).length,
          1,
          'one session opened',
        );

        const forged = await app.request(`${new URL(payment.checkoutUrl).pathname}x`, { as: null });
        assert.equal(forged.status, 404, 'a tampered token finds nothing');
      },
    );

    it('Pay → signed webhook → PAID; the stock is committed; payment and order events tell the story', async () => {
      const tea = await shop.product('Tea', 400, 5);
      const order = await shop.awaitingPayment(tea.id, 2);
      assert.deepEqual(await shop.stock(tea.id), { onHand: 5, reserved: 2 });

      const response = await shop.checkout(order, 'pay');
      assert.equal(response.status, 200);
      if (provider === 'sandbox') assert.match(await response.text(), /Payment received/);
      const paid = await shop.until(order.id, 'PAID');
      assert.equal(paid.payment!.status, 'SUCCEEDED');
      await waitFor(async () => (await shop.stock(tea.id)).onHand === 3, { what: 'stock committed' });
      assert.deepEqual(await shop.stock(tea.id), { onHand: 3, reserved: 0 });

      const [payment] = (await history(order)).data;
      assert.equal(payment!.status, 'SUCCEEDED');
      assert.deepEqual(
        payment!.events.map((event) => [event.type, event.outcome]),
        [
          ['payment.created', 'applied'],
          ['payment.succeeded', 'applied'],
        ],
      );
      // Paid, the order goes on to look for a driver (dispatch).
      const trail = (await events(order)).data.map((event) => event.to);
      assert.deepEqual(trail.slice(0, 3), ['PENDING', 'AWAITING_PAYMENT', 'PAID']);
      assert.deepEqual(trail.slice(3, 4), ['DISPATCHING']);

      const again = await shop.checkout(order, 'pay');
      assert.equal(again.status, 409, 'a paid checkout cannot be paid twice');
    });

    it('Decline → PAYMENT_FAILED with the reason; paying afterwards still works', async () => {
      const jam = await shop.product('Jam', 300, 5);
      const order = await shop.awaitingPayment(jam.id);
      const declined = await shop.checkout(order, 'decline');
      assert.equal(declined.status, 200);
      if (provider === 'sandbox') assert.match(await declined.text(), /Payment declined/);
      await shop.until(order.id, 'PAYMENT_FAILED');
      const last = (await events(order)).data.at(-1)!;
      assert.equal(last.reason, provider === 'sandbox' ? 'declined by the payer' : 'Your card was declined.');
      assert.equal((await shop.stock(jam.id)).reserved, 1, 'the reservation holds while the customer retries');

      assert.equal((await shop.checkout(order, 'pay')).status, 200);
      await shop.until(order.id, 'PAID');
    });

    it('webhooks: signature, freshness, amount and currency are checked; nothing is written when refused', async () => {
      const oil = await shop.product('Oil', 900, 5);
      const order = await shop.awaitingPayment(oil.id);
      const good = await shop.webhook(order, 'payment.succeeded');

      const unsigned = await shop.deliver({ ...good, headers: { 'content-type': 'application/json' } });
      await expectProblem(unsigned, 401);
      const tampered = await shop.deliver({ ...good, body: good.body.replace(String(order.total), '1') });
      await expectProblem(tampered, 401);
      const stale = await shop.webhook(order, 'payment.succeeded', { timestamp: Math.floor(Date.now() / 1000) - 301 });
      assert.match((await expectProblem(await shop.deliver(stale), 401)).detail ?? '', /tolerance/);

      const wrongAmount = await expectProblem(
        await shop.deliver(await shop.webhook(order, 'payment.succeeded', { amount: order.total! - 1 })),
        422,
      );
      assert.deepEqual(
        wrongAmount.errors?.map((error) => error.field),
        ['data.amount'],
      );
      const wrongCurrency = await expectProblem(
        await shop.deliver(await shop.webhook(order, 'payment.succeeded', { currency: 'USD' })),
        422,
      );
      assert.deepEqual(
        wrongCurrency.errors?.map((error) => error.field),
        ['data.currency'],
      );
      const [payment] = (await history(order)).data;
      assert.deepEqual(
        payment!.events.map((event) => event.type),
        ['payment.created'],
        'refused webhooks leave no trace',
      );
      assert.equal((await shop.order(order.id)).status, 'AWAITING_PAYMENT');
    });

    it('the same webhook five times at once → one PAID transition; repeats answer duplicate', async () => {
      const salt = await shop.product('Salt', 150, 5);
      const order = await shop.awaitingPayment(salt.id);
      const webhook = await shop.webhook(order, 'payment.succeeded');
      const responses = await Promise.all(Array.from({ length: 5 }, () => shop.deliver(webhook)));
      const receipts = await Promise.all(
        responses.map((response) => expectStatus<{ duplicate: boolean; outcome: string }>(response, 200)),
      );
      assert.equal(receipts.filter((receipt) => !receipt.duplicate).length, 1);
      assert.equal(receipts.filter((receipt) => receipt.duplicate).length, 4);

      await shop.until(order.id, 'PAID');
      // Let any stray second transition surface before counting.
      await waitFor(async () => (await shop.stock(salt.id)).onHand === 4, { what: 'stock committed once' });
      const paidEvents = (await events(order)).data.filter((event) => event.to === 'PAID');
      assert.equal(paidEvents.length, 1);
      assert.deepEqual(await shop.stock(salt.id), { onHand: 4, reserved: 0 });
      const received = (await history(order)).data[0]!.events.filter((event) => event.providerEventId);
      assert.equal(received.length, 1, 'one provider event recorded');
    });

    it('out of order: a late failed after succeeded changes nothing', async () => {
      const rice = await shop.product('Rice', 250, 5);
      const order = await shop.awaitingPayment(rice.id);
      await expectStatus(await shop.deliver(await shop.webhook(order, 'payment.succeeded')), 200);
      await shop.until(order.id, 'PAID');
      const late = await expectStatus<{ outcome: string }>(
        await shop.deliver(await shop.webhook(order, 'payment.failed')),
        200,
      );
      assert.match(late.outcome, /^ignored/);
      const trail = (await events(order)).data.map((event) => event.to);
      assert.ok(!trail.includes('PAYMENT_FAILED'), trail.join(' → '));
      assert.equal((await history(order)).data[0]!.status, 'SUCCEEDED');
    });

    it('cancelling a paid order refunds through the provider, returns the stock, payment REFUNDED', async () => {
      const honey = await shop.product('Honey', 700, 4);
      const order = await shop.paid(honey.id, 3);
      await waitFor(async () => (await shop.stock(honey.id)).onHand === 1, { what: 'stock committed' });
      const cancelled = await expectStatus<ShopOrder>(
        await app.request(`${shop.base}/orders/${order.id}/cancel`, {
          method: 'POST',
          json: { reason: 'changed my mind' },
          as: shop.shopper.token,
        }),
        200,
      );
      assert.equal(cancelled.status, 'CANCELLED');
      assert.deepEqual(await shop.stock(honey.id), { onHand: 4, reserved: 0 }, 'units back on the shelf');
      const refunded = await waitFor(
        async () => {
          const [payment] = (await history(order)).data;
          return payment?.status === 'REFUNDED' ? payment : undefined;
        },
        { what: 'payment refunded' },
      );
      assert.equal(refunded.refunds.length, 1);
      assert.equal(refunded.refunds[0]!.status, 'SUCCEEDED');
      assert.equal(refunded.refunds[0]!.amount, order.total);
      assert.match(refunded.refunds[0]!.providerRef ?? '', payments.refundRef);
    });

    it("payments are the order's customer's and staff's to see", async () => {
      const nuts = await shop.product('Nuts', 500, 5);
      const order = await shop.awaitingPayment(nuts.id);
      const stranger = await customer(app, 'pay-stranger');
      await expectProblem(await app.request(`${shop.base}/orders/${order.id}/payments`, { as: stranger.token }), 404);
      await expectStatus(
        await app.request(`${shop.base}/orders/${order.id}/payments`, { as: shop.merchant.token }),
        200,
      );
    });
  });

  describe(`payment expiry (${kind}, ${provider})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let shop: Shop;
    let payments: PaymentDriver;
    const clock = new TestClock();

    before(async () => {
      payments = await paymentDriver(provider);
      // The default PAYMENT_TTL (15 min): the test moves business time past it instead of waiting.
      app = await startTestApp(kind, { ...payments.env, PAYMENT_EXPIRY_INTERVAL_MS: '200' }, { clock });
      shop = await Shop.open(app, 'exp_shop', payments);
    });
    after(async () => {
      await app?.close();
      await payments?.close();
    });

    it('an unpaid order expires after PAYMENT_TTL, its reservation released; money arriving later is refunded', async () => {
      const figs = await shop.product('Figs', 800, 3);
      const order = await shop.awaitingPayment(figs.id, 2);
      await shop.openCheckout(order); // the customer is on the provider's page when time runs out
      await sleep(600); // three expiry runs: nothing is due yet
      assert.equal((await shop.order(order.id)).status, 'AWAITING_PAYMENT', 'not expired before its time');
      clock.advance(15 * 60_000);
      const expired = await shop.until(order.id, 'EXPIRED');
      assert.equal(expired.payment!.status, 'EXPIRED');
      await waitFor(async () => (await shop.stock(figs.id)).reserved === 0, { what: 'reservation released' });
      assert.deepEqual(await shop.stock(figs.id), { onHand: 3, reserved: 0 });
      assert.equal((await shop.checkout(order, 'pay')).status, 409, 'the checkout is closed');

      // The provider took the money anyway (a late webhook): it goes back.
      await expectStatus(await shop.deliver(await shop.webhook(order, 'payment.succeeded')), 200);
      await waitFor(
        async () => {
          const response = await app.request(`${shop.base}/orders/${order.id}/payments`, { as: shop.shopper.token });
          const [payment] = (await expectStatus<PaymentHistory>(response, 200)).data;
          return payment?.status === 'REFUNDED';
        },
        { what: 'late payment refunded' },
      );
      assert.equal((await shop.order(order.id)).status, 'EXPIRED');
    });
  });
}
