import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import {
  PaymentFailed,
  PaymentSucceeded,
  type PaymentFailedPayload,
  type PaymentSucceededPayload,
} from '../payments/payments.events.js';
import { PaymentsService } from '../payments/payments.service.js';
import type { OrderStatus } from './order-states.js';
import { transitionOrder, type OrderActor } from './order-transitions.js';
import { ordersRepository } from './orders.repository.js';

export const ORDER_PAYMENTS = 'order-payments';
const ACTOR: OrderActor = { id: `consumer:${ORDER_PAYMENTS}`, role: 'SYSTEM' };
const AWAITING: readonly OrderStatus[] = ['AWAITING_PAYMENT', 'PAYMENT_FAILED'];

/**
 * Turns payment outcomes into order transitions, in the tenant's database under the order's row lock:
 * - succeeded: an order awaiting payment → PAID (its stock committed). Money for an order that can no
 *   longer be served (expired or cancelled meanwhile), or a second payment for a paid order, is
 *   refunded at once.
 * - failed: AWAITING_PAYMENT → PAYMENT_FAILED (the customer may still pay until it expires); in any
 *   other state a failure changes nothing — a late `failed` after `succeeded` is harmless.
 */
@Injectable()
@Consumer({ name: ORDER_PAYMENTS, events: [PaymentSucceeded, PaymentFailed], scope: 'tenant' })
export class OrderPayments implements MessageHandler<PaymentSucceededPayload | PaymentFailedPayload> {
  constructor(@Inject(PaymentsService) private readonly payments: PaymentsService) {}

  async handle(payment: PaymentSucceededPayload | PaymentFailedPayload, { tx, emit, envelope }: HandlerContext) {
    const tenant = envelope.tenant!;
    const order = await ordersRepository.find(tx, payment.orderId, true);
    if (!order) return;
    const status = order.status as OrderStatus;
    if (envelope.type === PaymentFailed.type) {
      if (status !== 'AWAITING_PAYMENT') return;
      await transitionOrder(tx, emit, {
        tenant,
        order,
        to: 'PAYMENT_FAILED',
        actor: ACTOR,
        reason: (payment as PaymentFailedPayload).after.reason,
      });
      return;
    }
    if (AWAITING.includes(status)) {
      await transitionOrder(tx, emit, { tenant, order, to: 'PAID', actor: ACTOR, reason: 'payment succeeded' });
      return;
    }
    const reason = `payment received while the order was ${status}`;
    await this.payments.requestRefund(tx, emit, tenant, payment.paymentId, reason);
  }
}
