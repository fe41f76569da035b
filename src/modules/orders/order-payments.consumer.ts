import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import {
  PaymentFailed,
  PaymentSucceeded,
  type PaymentFailedPayload,
  type PaymentSucceededPayload,
} from '../payments/payments.events.js';
import { OrderEffects } from './order-effects.js';
import { OrderFulfilment } from './order-fulfilment.js';
import { OrderTransitions, type OrderActor } from './order-transitions.js';
import { ordersRepository } from './orders.repository.js';

export const ORDER_PAYMENTS = 'order-payments';
const ACTOR: OrderActor = { id: `consumer:${ORDER_PAYMENTS}`, role: 'SYSTEM' };

/**
 * Turns payment outcomes into order transitions, in the tenant's database under the order's row lock:
 * - succeeded: an order awaiting payment → PAID (its stock committed), and on in the same transaction
 *   to dispatch (or SCHEDULED, a ride for later): `OrderFulfilment`. Money for an order that can no
 *   longer be served (expired or cancelled meanwhile), or a second payment for a paid order, is
 *   refunded at once.
 * - failed: AWAITING_PAYMENT → PAYMENT_FAILED (the customer may still pay until it expires); in any
 *   other state a failure changes nothing — a late `failed` after `succeeded` is harmless.
 */
@Injectable()
@Consumer({ name: ORDER_PAYMENTS, events: [PaymentSucceeded, PaymentFailed], scope: 'tenant' })
export class OrderPayments implements MessageHandler<PaymentSucceededPayload | PaymentFailedPayload> {
  constructor(
    @Inject(OrderEffects) private readonly effects: OrderEffects,
    @Inject(OrderTransitions) private readonly transitions: OrderTransitions,
    @Inject(OrderFulfilment) private readonly fulfilment: OrderFulfilment,
  ) {}

  async handle(payment: PaymentSucceededPayload | PaymentFailedPayload, unit: HandlerContext) {
    const tenant = unit.envelope.tenant!;
    // With its lines in the same read: the PAID row commits their stock.
    const found = await ordersRepository.findLockedWithLines(unit.tx, payment.orderId);
    if (!found) return;
    const { order, lines } = found;
    if (unit.envelope.type === PaymentFailed.type) {
      if (order.status !== 'AWAITING_PAYMENT') return;
      const reason = (payment as PaymentFailedPayload).after.reason;
      await this.transitions.apply(unit, { tenant, order, to: 'PAYMENT_FAILED', actor: ACTOR, reason });
      return;
    }
    const paid = await this.transitions.apply(unit, {
      tenant,
      order,
      to: 'PAID',
      actor: ACTOR,
      reason: 'payment succeeded',
      lines,
    });
    if (paid.ok) {
      await this.fulfilment.afterPayment(unit, tenant, paid.order, ACTOR);
      return;
    }
    // The order cannot take money any more (expired, cancelled, or already paid): give it back.
    const reason = `payment received while the order was ${order.status}`;
    await this.effects.refundPayment(unit, tenant, payment.paymentId, reason);
  }
}
