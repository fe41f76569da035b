import { formatMoney } from '../../common/money.js';
import type { OrderStatus } from '../orders/order-states.js';
import {
  OrderCancelled,
  OrderDelivered,
  OrderExpired,
  OrderPaid,
  OrderPaymentFailed,
  OrderValidated,
  type OrderTransitionPayload,
} from '../orders/orders.events.js';
import { PaymentRefunded, type PaymentRefundedPayload } from '../payments/payments.events.js';

/** The events a customer hears about, and what each is called in their list. */
export const NOTIFYING_EVENTS = {
  [OrderValidated.type]: 'order.awaiting_payment',
  [OrderPaymentFailed.type]: 'order.payment_failed',
  [OrderPaid.type]: 'order.paid',
  [OrderExpired.type]: 'order.expired',
  [OrderCancelled.type]: 'order.cancelled',
  [OrderDelivered.type]: 'order.delivered',
  [PaymentRefunded.type]: 'payment.refunded',
} as const;

export type NotificationKind = (typeof NOTIFYING_EVENTS)[keyof typeof NOTIFYING_EVENTS];

export interface NotificationMessage {
  kind: NotificationKind;
  subject: string;
  /** Plain text, signed off; the same text goes out by email and into the user's list. */
  body: string;
  link: string | null;
}

/** Statuses in which an order has not been paid: cancelling one of them moves no money. */
const UNPAID: readonly OrderStatus[] = ['PENDING', 'AWAITING_PAYMENT', 'PAYMENT_FAILED'];

/**
 * What to tell the customer about an event of one of their orders, in plain English. `shop` is the
 * tenant's display name. Pure: the notifier decides whom to send it to and how.
 */
export function notificationMessage(
  type: string,
  payload: OrderTransitionPayload | PaymentRefundedPayload,
  shop: string,
): NotificationMessage | undefined {
  const kind = (NOTIFYING_EVENTS as Record<string, NotificationKind | undefined>)[type];
  if (!kind) return undefined;
  const order = `Your order ${payload.orderId} at ${shop}`;
  const message = (subject: string, lines: (string | false | null | undefined)[], link: string | null = null) => ({
    kind,
    subject,
    body: [...lines.filter((line): line is string => typeof line === 'string'), '', `— ${shop}, via Ordo`].join('\n'),
    link,
  });

  if (kind === 'payment.refunded') {
    const refund = payload as PaymentRefundedPayload;
    return message(`Refund of ${formatMoney(refund.amount, refund.currency)} from ${shop}`, [
      `${shop} refunded ${formatMoney(refund.amount, refund.currency)} for your order ${refund.orderId}.`,
      'Depending on your bank, it may take a few days to show on your statement.',
    ]);
  }

  const transition = payload as OrderTransitionPayload;
  const { total, currency, reason, payment } = transition.after;
  const amount = total != null && currency ? formatMoney(total, currency) : undefined;
  switch (kind) {
    case 'order.awaiting_payment':
      return message(
        `Pay for your order at ${shop}`,
        [
          `${order} is confirmed and waiting for payment${amount ? ` of ${amount}` : ''}.`,
          payment && '',
          payment && `Pay here: ${payment.checkoutUrl}`,
          payment && `The link expires at ${payment.expiresAt} (UTC); until then your items are reserved.`,
        ],
        payment?.checkoutUrl ?? null,
      );
    case 'order.payment_failed':
      return message(`Payment declined at ${shop}`, [
        `The payment for your order ${transition.orderId} at ${shop} did not go through${reason ? `: ${reason}` : ''}.`,
        'You can try again through the checkout link we sent you until it expires.',
      ]);
    case 'order.paid':
      return message(`Payment received by ${shop}`, [
        `${order} is paid${amount ? `: ${amount}` : ''}. Thank you!`,
        'We will let you know when it is on its way.',
      ]);
    case 'order.expired':
      return message(`Your order at ${shop} expired`, [
        `${order} was not paid in time, so it expired and its items were released.`,
        'Nothing was charged. You are welcome to order again.',
      ]);
    case 'order.cancelled':
      return message(`Your order at ${shop} was cancelled`, [
        `${order} was cancelled${reason ? `: ${reason}` : ''}.`,
        UNPAID.includes(transition.before.status)
          ? 'Nothing was charged.'
          : 'Your payment will be refunded; we will email you when it is on its way back.',
      ]);
    case 'order.delivered':
      return message(`Your order from ${shop} was delivered`, [`${order} was delivered. Enjoy!`]);
  }
}
