import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { formatMoney } from '../../src/common/money.js';
import type { Envelope } from '../../src/infra/bus/envelope.js';
import { UnitOfWork } from '../../src/infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../src/infra/database/sql-database.js';
import type { OrderTransitionPayload } from '../../src/modules/orders/orders.events.js';
import { Notifier } from '../../src/modules/notifications/notifier.consumer.js';
import { skipUnless, startTestApp, type TestApp } from '../support/app.js';
import { customer, type Person } from '../support/people.js';
import { expectProblem } from '../support/problems.js';
import { expectStatus, Shop, type ShopOrder } from '../support/shop.js';
import { startSmtpServer, type ReceivedMail, type TestSmtpServer } from '../support/smtp.js';
import { waitFor } from '../support/wait-for.js';

interface Notification {
  id: string;
  kind: string;
  channel: string;
  subject: string;
  body: string;
  link: string | null;
  status: string;
  tenant: string | null;
  orderId: string | null;
  createdAt: string;
  sentAt: string | null;
}
interface NotificationPage {
  data: Notification[];
  meta: { page: number; per_page: number; total: number };
}

const ORDER_STORY = ['order.awaiting_payment', 'order.cancelled', 'order.paid', 'payment.refunded'];

async function notifications(app: TestApp, person: Person, query = ''): Promise<NotificationPage> {
  return expectStatus(await app.request(`/api/me/notifications${query}`, { as: person.token }), 200);
}

/** Waits until `person` has a notification of each of `kinds` about `orderId`; returns all of theirs about it. */
async function notifiedOf(app: TestApp, person: Person, orderId: string, kinds: string[]): Promise<Notification[]> {
  return waitFor(
    async () => {
      const about = (await notifications(app, person, '?per_page=100')).data.filter((n) => n.orderId === orderId);
      return kinds.every((kind) => about.some((n) => n.kind === kind)) ? about : undefined;
    },
    { timeoutMs: 20_000, what: `${kinds.join(', ')} notifications about order ${orderId}` },
  );
}

async function cancel(shop: Shop, order: ShopOrder, reason: string): Promise<void> {
  const response = await shop.app.request(`${shop.base}/orders/${order.id}/cancel`, {
    method: 'POST',
    json: { reason },
    as: shop.shopper.token,
  });
  await expectStatus(response, 200);
}

for (const kind of ['embedded', 'real'] as const) {
  describe(`notifications without a mail server (${kind})`, { skip: await skipUnless(kind) }, () => {
    let app: TestApp;
    let shop: Shop;

    before(async () => {
      app = await startTestApp(kind);
      shop = await Shop.open(app, 'note_shop');
    });
    after(async () => {
      await app?.close();
    });

    it('a customer is told each step once: awaiting payment (with the checkout link), paid, cancelled, refunded', async () => {
      const kettle = await shop.product('Kettle', 2990, 3);
      const order = await shop.awaitingPayment(kettle.id);
      assert.equal((await shop.checkout(order, 'pay')).status, 200);
      await shop.until(order.id, 'PAID');
      await cancel(shop, order, 'found a cheaper kettle');

      const told = await notifiedOf(app, shop.shopper, order.id, ORDER_STORY);
      assert.deepEqual(told.map((n) => n.kind).sort(), ORDER_STORY, 'each exactly once');
      const times = told.map((n) => Date.parse(n.createdAt));
      assert.deepEqual(
        times,
        [...times].sort((a, b) => b - a),
        'newest first',
      );
      for (const notification of told) {
        assert.equal(notification.channel, 'email');
        assert.equal(notification.status, 'STORED', 'no SMTP_URL: stored, not sent');
        assert.equal(notification.sentAt, null);
        assert.equal(notification.tenant, 'note_shop');
      }

      const awaiting = told.find((n) => n.kind === 'order.awaiting_payment')!;
      const checkout = order.payment!;
      assert.equal(awaiting.link, checkout.checkoutUrl);
      assert.ok(awaiting.body.includes(`Pay here: ${checkout.checkoutUrl}`), awaiting.body);
      assert.ok(awaiting.body.includes(formatMoney(order.total!, order.currency)), awaiting.body);
      assert.ok(awaiting.body.includes(checkout.expiresAt), awaiting.body);
      assert.match(awaiting.subject, /Shop note_shop/, 'the shop by its name');

      const cancelled = told.find((n) => n.kind === 'order.cancelled')!;
      assert.match(cancelled.body, /found a cheaper kettle/);
      assert.match(cancelled.body, /will be refunded/, 'it was paid');
      const refunded = told.find((n) => n.kind === 'payment.refunded')!;
      assert.ok(refunded.subject.includes(formatMoney(order.total!, order.currency)), refunded.subject);

      for (const other of [await customer(app, 'stranger'), shop.merchant]) {
        const theirs = await notifications(app, other);
        assert.deepEqual(theirs, { data: [], meta: { page: 1, per_page: 20, total: 0 } }, 'nobody else sees them');
      }
    });

    it('pages newest first and refuses unknown or bad query parameters', async () => {
      const all = await notifications(app, shop.shopper, '?per_page=100');
      assert.ok(all.meta.total >= 4);
      const second = await notifications(app, shop.shopper, '?page=2&per_page=2');
      assert.deepEqual(second.meta, { page: 2, per_page: 2, total: all.meta.total });
      assert.deepEqual(
        second.data.map((n) => n.id),
        all.data.slice(2, 4).map((n) => n.id),
      );
      await expectProblem(await app.request('/api/me/notifications?per_page=0', { as: shop.shopper.token }), 400);
      await expectProblem(await app.request('/api/me/notifications?unread=true', { as: shop.shopper.token }), 400);
      await expectProblem(await app.request('/api/me/notifications', { as: null }), 401);
    });
  });
}

describe('notifications by email (embedded, in-process SMTP server)', () => {
  let smtp: TestSmtpServer;
  let app: TestApp;
  let shop: Shop;

  before(async () => {
    smtp = await startSmtpServer();
    app = await startTestApp('embedded', { SMTP_URL: smtp.url, MAIL_FROM: 'Ordo Test <orders@ordo.test>' });
    shop = await Shop.open(app, 'mail_shop');
  });
  after(async () => {
    await app?.close();
    await smtp?.close();
  });

  /** Mails to `person` about `order`, once there are `count` of them. */
  const mailsAbout = (person: Person, order: ShopOrder, count: number): Promise<ReceivedMail[]> =>
    waitFor(
      () => {
        const mails = smtp.mailsTo(person.email).filter((received) => received.mail.text?.includes(order.id));
        return mails.length >= count ? mails : undefined;
      },
      { timeoutMs: 20_000, what: `${count} mail(s) to ${person.email} about order ${order.id}` },
    );

  it("the customer's inbox gets the checkout link, then the payment confirmation; both rows are SENT", async () => {
    const tea = await shop.product('Tea', 450, 5);
    const order = await shop.awaitingPayment(tea.id);
    const [first] = await mailsAbout(shop.shopper, order, 1);
    assert.equal(first!.mail.subject, 'Pay for your order at Shop mail_shop');
    assert.ok(first!.mail.text?.includes(order.payment!.checkoutUrl), first!.mail.text);
    assert.ok(first!.mail.text?.includes(formatMoney(order.total!, order.currency)), first!.mail.text);
    assert.equal(first!.mail.from?.text, '"Ordo Test" <orders@ordo.test>', 'MAIL_FROM');

    assert.equal((await shop.checkout(order, 'pay')).status, 200);
    await shop.until(order.id, 'PAID');
    const mails = await mailsAbout(shop.shopper, order, 2);
    assert.equal(mails.length, 2, 'one mail per step');
    assert.equal(mails[1]!.mail.subject, 'Payment received by Shop mail_shop');

    const told = await notifiedOf(app, shop.shopper, order.id, ['order.awaiting_payment', 'order.paid']);
    assert.equal(told.length, 2);
    for (const notification of told) {
      assert.equal(notification.status, 'SENT');
      assert.ok(notification.sentAt, 'sentAt is set');
    }
    const awaiting = told.find((n) => n.kind === 'order.awaiting_payment')!;
    assert.equal(first!.mail.messageId, `<${awaiting.id}@ordo>`, 'Message-ID is the notification id (dedupe hint)');
  });

  it('a mail server failing for a moment (451) is retried by the bus: the mail arrives once, one row', async () => {
    const jam = await shop.product('Jam', 300, 5);
    smtp.failNext(1);
    const order = await shop.awaitingPayment(jam.id);
    await mailsAbout(shop.shopper, order, 1);
    const [notification] = await notifiedOf(app, shop.shopper, order.id, ['order.awaiting_payment']);
    assert.equal(notification!.status, 'SENT');
    assert.equal(smtp.mailsTo(shop.shopper.email).filter((r) => r.mail.text?.includes(order.id)).length, 1);
  });

  it('a recipient the server refuses for good (550) is recorded FAILED with the reason, not retried', async () => {
    const bouncer = await customer(app, 'bounce');
    const honey = await shop.product('Honey', 700, 5);
    const order = await shop.awaitingPayment(honey.id, 1, bouncer.token);
    const [notification] = await notifiedOf(app, bouncer, order.id, ['order.awaiting_payment']);
    assert.equal(
      notification!.status,
      'FAILED',
      'recorded at once: a thrown failure would have no row until it passed',
    );
    assert.equal(notification!.sentAt, null);
    assert.equal(smtp.mailsTo(bouncer.email).length, 0);
    const [row] = await app.ordo.app
      .get<SqlDatabase>(CONTROL_DATABASE)
      .query<{ error: string | null }>(sql`select error from notifications where id = ${notification!.id}`);
    assert.match(row?.error ?? '', /550.*No such mailbox/, 'the reason, for operators (not shown to the user)');
  });

  it('a message handled again after its notification was recorded (a replay past its inbox mark) sends nothing', async () => {
    const oil = await shop.product('Oil', 900, 5);
    const order = await shop.awaitingPayment(oil.id);
    await mailsAbout(shop.shopper, order, 1);
    const payload: OrderTransitionPayload = {
      orderId: order.id,
      customerId: shop.shopper.id,
      before: { status: 'AWAITING_PAYMENT' },
      after: { status: 'PAID', reason: 'payment succeeded', total: order.total, currency: order.currency },
    };
    const envelope: Envelope = {
      id: randomUUID(),
      type: 'order.paid',
      tenant: shop.code,
      aggregateId: order.id,
      occurredAt: new Date().toISOString(),
      attempt: 1,
      payload,
    };
    // What the inbox processor does, twice, as if the inbox mark had expired in between.
    const notifier = app.ordo.app.get(Notifier);
    const unitOfWork = app.ordo.app.get(UnitOfWork);
    const control = app.ordo.app.get<SqlDatabase>(CONTROL_DATABASE);
    for (let delivery = 1; delivery <= 2; delivery += 1) {
      const prepared = await notifier.prepare(payload, envelope);
      assert.equal(prepared === undefined, delivery === 2, 'only the first delivery has a mail to record');
      await unitOfWork.run(control, (tx, emit, afterCommit) =>
        notifier.handle(payload, { tx, emit, afterCommit, envelope, prepared }),
      );
    }
    const paidMails = (await mailsAbout(shop.shopper, order, 2)).filter((r) => r.mail.subject?.startsWith('Payment'));
    assert.equal(paidMails.length, 1, 'one mail');
    const told = await notifiedOf(app, shop.shopper, order.id, ['order.paid']);
    assert.equal(told.filter((n) => n.kind === 'order.paid').length, 1, 'one row');
  });
});
