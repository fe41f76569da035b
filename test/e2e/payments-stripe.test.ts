import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { StripePayments } from '../support/payment-drivers.js';
import { expectProblem } from '../support/problems.js';
import { expectStatus, Shop, type ShopOrder } from '../support/shop.js';
import { waitFor } from '../support/wait-for.js';

// What only Stripe has: its event types, replays re-signed later, refunds made in its Dashboard, its
// session expiring, its API being down. The behaviour both providers share is in payments.test.ts.

interface PaymentHistory {
  data: {
    status: string;
    providerRef?: string;
    events: { type: string; providerEventId: string | null; outcome: string }[];
    refunds: { id: string; status: string; amount: number; reason: string; providerRef: string | null }[];
  }[];
}
interface Receipt {
  duplicate: boolean;
  outcome: string;
}

for (const kind of ['embedded', 'real'] as const) {
  describe(`Stripe payments (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let shop: Shop;
    let stripe: StripePayments;

    before(async () => {
      stripe = await StripePayments.start();
      app = await startTestApp(kind, { ...stripe.env, PAYMENT_EXPIRY_INTERVAL_MS: '200' });
      shop = await Shop.open(app, 'stripe_shop', stripe);
    });
    after(async () => {
      await app?.close();
      await stripe?.close();
    });

    const history = async (order: ShopOrder) =>
      (
        await expectStatus<PaymentHistory>(
          await app.request(`${shop.base}/orders/${order.id}/payments`, { as: shop.shopper.token }),
          200,
        )
      ).data[0]!;
    const trail = async (order: ShopOrder) =>
      (
        await expectStatus<{ data: { to: string }[] }>(
          await app.request(`${shop.base}/orders/${order.id}/events`, { as: shop.shopper.token }),
          200,
        )
      ).data.map((event) => event.to);
    const send = async (
      event: Parameters<StripePayments['send']>[1],
      options?: { timestamp?: number; secret?: string },
    ) => stripe.send(app, event, options);

    it('a replayed event (the same id, signed again later) writes nothing new; stale or foreign signatures are refused', async () => {
      const figs = await shop.product('Figs', 600, 5);
      const order = await shop.awaitingPayment(figs.id);
      const session = await stripe.sessionOf(app, order);
      const completed = stripe.standIn.complete(session);

      const stale = await send(completed, { timestamp: Math.floor(Date.now() / 1000) - 301 });
      assert.match((await expectProblem(stale, 401)).detail ?? '', /tolerance/);
      await expectProblem(await send(completed, { secret: 'whsec_someone_else' }), 401);
      assert.deepEqual(
        (await history(order)).events.map((event) => event.type),
        ['payment.created'],
        'refused events leave no trace',
      );

      assert.equal((await expectStatus<Receipt>(await send(completed), 200)).outcome, 'applied');
      await shop.until(order.id, 'PAID');
      const recorded = await history(order);
      const replay = await expectStatus<Receipt>(await send(completed), 200);
      assert.deepEqual(replay, { received: true, duplicate: true, outcome: 'duplicate' });
      assert.deepEqual(await history(order), recorded, 'the replay wrote nothing');
      assert.equal((await trail(order)).filter((status) => status === 'PAID').length, 1);
    });

    it('a refund goes through the SDK keyed by the refund id; Stripe confirming it afterwards changes nothing', async () => {
      const tea = await shop.product('Tea', 450, 5);
      const order = await shop.paid(tea.id, 2);
      const session = stripe.standIn.session(await stripe.sessionOf(app, order));
      await expectStatus(
        await app.request(`${shop.base}/orders/${order.id}/cancel`, {
          method: 'POST',
          json: { reason: 'changed my mind' },
          as: shop.shopper.token,
        }),
        200,
      );
      const refunded = await waitFor(
        async () => {
          const payment = await history(order);
          return payment.status === 'REFUNDED' ? payment : undefined;
        },
        { what: 'payment refunded' },
      );
      const [refund] = refunded.refunds;
      const calls = stripe.standIn.requests.filter(
        (request) => request.path === '/v1/refunds' && request.params.payment_intent === session.payment_intent,
      );
      assert.equal(calls.length, 1);
      assert.equal(calls[0]!.idempotencyKey, `ordo-refund-${refund!.id}`);
      assert.equal(calls[0]!.params.amount, String(order.total));

      const confirmed = await expectStatus<Receipt>(await send(stripe.standIn.refunded(session.id)), 200);
      assert.equal(confirmed.outcome, 'ignored: payment already REFUNDED');
      assert.equal((await history(order)).refunds.length, 1);
    });

    it('a refund made in the Stripe Dashboard: the payment is REFUNDED, with its refund and payment.refunded', async () => {
      const jam = await shop.product('Jam', 380, 5);
      const order = await shop.paid(jam.id);
      const session = await stripe.sessionOf(app, order);
      const event = stripe.standIn.refunded(session);
      assert.equal((await expectStatus<Receipt>(await send(event), 200)).outcome, 'applied');
      const payment = await history(order);
      assert.equal(payment.status, 'REFUNDED');
      assert.deepEqual(
        payment.refunds.map((refund) => [refund.status, refund.amount, refund.reason, refund.providerRef]),
        [['SUCCEEDED', order.total, 'refunded at the provider', (event.data.object as { id: string }).id]],
      );
      assert.ok(payment.events.some((each) => each.type === 'payment.refunded' && each.outcome === 'applied'));
    });

    it('out of order: a refund before the success it undoes → refund recorded, the late success ignored, never PAID', async () => {
      const oil = await shop.product('Oil', 990, 5);
      const order = await shop.awaitingPayment(oil.id);
      const session = await stripe.sessionOf(app, order);
      const completed = stripe.standIn.complete(session);
      const refunded = stripe.standIn.refunded(session);

      const early = await expectStatus<Receipt>(await send(refunded), 200);
      assert.match(early.outcome, /^applied: refunded before it was confirmed/);
      const late = await expectStatus<Receipt>(await send(completed), 200);
      assert.equal(late.outcome, 'ignored: the money was already refunded');
      const payment = await history(order);
      assert.deepEqual(
        payment.refunds.map((refund) => refund.status),
        ['SUCCEEDED'],
      );
      // Still open, so the payment-expiry job expires the order and releases its stock at PAYMENT_TTL.
      assert.equal(payment.status, 'PENDING');
      assert.deepEqual(await trail(order), ['PENDING', 'AWAITING_PAYMENT']);
      assert.equal((await shop.stock(oil.id)).reserved, 1);
    });

    it('the Checkout Session expiring expires the order at once, its stock released', async () => {
      const salt = await shop.product('Salt', 120, 4);
      const order = await shop.awaitingPayment(salt.id, 3);
      const session = await stripe.sessionOf(app, order);
      const receipt = await expectStatus<Receipt>(await send(stripe.standIn.expire(session)), 200);
      assert.equal(receipt.outcome, 'applied: due for expiry');
      const expired = await shop.until(order.id, 'EXPIRED');
      assert.equal(expired.payment!.status, 'EXPIRED');
      await waitFor(async () => (await shop.stock(salt.id)).reserved === 0, { what: 'reservation released' });
      assert.equal((await shop.openCheckout(order)).status, 409, 'the link no longer leads to a checkout');
    });

    it("events Ordo does not act on, partial refunds and other integrations' sessions are acknowledged, nothing written", async () => {
      const rice = await shop.product('Rice', 260, 5);
      const order = await shop.paid(rice.id);
      const session = await stripe.sessionOf(app, order);
      const recorded = await history(order);

      const other = await expectStatus<Receipt>(
        await send(stripe.standIn.event('customer.created', { id: 'cus_test_1', object: 'customer' })),
        200,
      );
      assert.equal(other.outcome, 'ignored: customer.created is not an event Ordo acts on');

      const partial = stripe.standIn.refunded(session);
      Object.assign(partial.data.object, { refunded: false, amount_refunded: 100 });
      assert.match((await expectStatus<Receipt>(await send(partial), 200)).outcome, /^ignored: a partial refund/);

      const foreign = stripe.standIn.event('checkout.session.completed', {
        ...stripe.standIn.session(session),
        metadata: {},
      });
      assert.match((await expectStatus<Receipt>(await send(foreign), 200)).outcome, /^ignored: not an Ordo payment/);
      assert.deepEqual(await history(order), recorded);
    });

    it('while Stripe is down the link answers 503 and opens nothing; afterwards it redirects to the session', async () => {
      const nuts = await shop.product('Nuts', 510, 5);
      const order = await shop.awaitingPayment(nuts.id);
      stripe.standIn.failWith = 500;
      try {
        const down = await shop.openCheckout(order);
        assert.equal(down.status, 503);
        assert.match(await down.text(), /could not be opened/);
      } finally {
        stripe.standIn.failWith = undefined;
      }
      assert.equal((await shop.openCheckout(order)).status, 303);
      assert.equal((await history(order)).status, 'PENDING');
    });

    it('the sandbox webhook endpoint is closed when payments go through Stripe', async () => {
      const response = await app.request('/api/payments/webhooks/sandbox', {
        method: 'POST',
        json: { id: 'evt_1' },
        as: null,
      });
      await expectProblem(response, 404);
    });
  });
}
