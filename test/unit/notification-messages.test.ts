import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { InvalidEnvironmentError, loadEnv } from '../../src/config/load-env.js';
import { notificationMessage } from '../../src/modules/notifications/notification-messages.js';
import { notificationId } from '../../src/modules/notifications/notifications.service.js';
import type { OrderTransitionPayload } from '../../src/modules/orders/orders.events.js';

const orderId = randomUUID();
const customerId = randomUUID();

function transition(before: string, after: Partial<OrderTransitionPayload['after']> & { status: string }) {
  return {
    orderId,
    customerId,
    before: { status: before },
    after: { reason: null, total: 1850, currency: 'EUR', ...after },
  } as OrderTransitionPayload;
}

describe('notification messages', () => {
  it('awaiting payment: amount, checkout link and its expiry; the link is the action', () => {
    const payment = {
      id: randomUUID(),
      checkoutUrl: 'http://localhost/pay/abc.def',
      expiresAt: '2030-01-01T10:15:00.000Z',
    };
    const message = notificationMessage(
      'order.validated',
      transition('PENDING', { status: 'AWAITING_PAYMENT', payment }),
      'Corner Shop',
    )!;
    assert.equal(message.kind, 'order.awaiting_payment');
    assert.equal(message.subject, 'Pay for your order at Corner Shop');
    assert.match(message.body, /waiting for payment of €18\.50/);
    assert.match(message.body, /Pay here: http:\/\/localhost\/pay\/abc\.def/);
    assert.match(message.body, /expires at 2030-01-01T10:15:00\.000Z/);
    assert.equal(message.link, payment.checkoutUrl);
  });

  it('a cancelled order says whether money comes back', () => {
    const unpaid = notificationMessage(
      'order.cancelled',
      transition('AWAITING_PAYMENT', { status: 'CANCELLED' }),
      'S',
    )!;
    assert.match(unpaid.body, /Nothing was charged/);
    const paid = notificationMessage(
      'order.cancelled',
      transition('PAID', { status: 'CANCELLED', reason: 'changed my mind' }),
      'S',
    )!;
    assert.match(paid.body, /cancelled: changed my mind/);
    assert.match(paid.body, /will be refunded/);
  });

  it('covers expiry, declined payments, delivery and refunds; other events tell nobody', () => {
    const expired = notificationMessage('order.expired', transition('AWAITING_PAYMENT', { status: 'EXPIRED' }), 'S')!;
    assert.equal(expired.kind, 'order.expired');
    const declined = notificationMessage(
      'order.payment_failed',
      transition('AWAITING_PAYMENT', { status: 'PAYMENT_FAILED', reason: 'declined by the payer' }),
      'S',
    )!;
    assert.match(declined.body, /did not go through: declined by the payer/);
    const delivered = notificationMessage('order.delivered', transition('PICKED_UP', { status: 'DELIVERED' }), 'S')!;
    assert.equal(delivered.kind, 'order.delivered');
    const refund = notificationMessage(
      'payment.refunded',
      {
        paymentId: randomUUID(),
        refundId: randomUUID(),
        orderId,
        customerId,
        amount: 1850,
        currency: 'EUR',
        before: { status: 'SUCCEEDED' },
        after: { status: 'REFUNDED', reason: 'order cancelled' },
      },
      'S',
    )!;
    assert.equal(refund.subject, 'Refund of €18.50 from S');
    assert.equal(notificationMessage('order.placed', transition('PENDING', { status: 'PENDING' }), 'S'), undefined);
  });

  it('derives one notification id per message, the same on every delivery', () => {
    const message = randomUUID();
    assert.equal(notificationId(message), notificationId(message));
    assert.notEqual(notificationId(message), notificationId(randomUUID()));
    assert.notEqual(notificationId(message), message, 'not the event id itself, which the audit log already uses');
  });
});

describe('mail settings', () => {
  it('sends nothing without SMTP_URL; MAIL_FROM has a default', () => {
    const env = loadEnv({});
    assert.equal(env.SMTP_URL, undefined);
    assert.equal(env.MAIL_FROM, 'Ordo <no-reply@localhost>');
    assert.equal(
      loadEnv({ SMTP_URL: 'smtps://u:p@mail.example.com:465' }).SMTP_URL,
      'smtps://u:p@mail.example.com:465',
    );
  });

  it('refuses a SMTP_URL that is not smtp:// or smtps://', () => {
    assert.throws(
      () => loadEnv({ SMTP_URL: 'http://mail.example.com' }),
      (error) => error instanceof InvalidEnvironmentError && error.problems.some((p) => p.startsWith('SMTP_URL:')),
    );
  });
});
