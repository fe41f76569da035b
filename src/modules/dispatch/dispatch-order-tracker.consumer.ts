import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import { OrderCancelled, OrderDelivered, OrderPickedUp, type OrderTransitionPayload } from '../orders/orders.events.js';
import { DispatchService } from './dispatch.service.js';

/** Keeps a job in step with its order: cancelled (offer withdrawn), picked up, delivered (driver free). */
@Injectable()
@Consumer({
  name: 'dispatch-order-tracker',
  events: [OrderCancelled, OrderPickedUp, OrderDelivered],
  scope: 'control',
})
export class DispatchOrderTracker implements MessageHandler<OrderTransitionPayload> {
  constructor(@Inject(DispatchService) private readonly dispatch: DispatchService) {}

  async handle(payload: OrderTransitionPayload, { tx, emit, envelope }: HandlerContext): Promise<void> {
    const to = payload.after.status;
    if (to !== 'CANCELLED' && to !== 'PICKED_UP' && to !== 'DELIVERED') return;
    await this.dispatch.orderMoved(tx, emit, envelope.tenant!, payload.orderId, payload.before.status, to);
  }
}
