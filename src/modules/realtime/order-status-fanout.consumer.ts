import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { ORDER_STATUS_EVENTS, type OrderTransitionPayload } from '../orders/orders.events.js';
import { RealtimePublisher } from './realtime-publisher.js';
import { rooms } from './realtime-rooms.js';

/** What `order.status` carries to sockets. `eventId` lets a client drop the rare duplicate. */
export interface OrderStatusMessage {
  eventId: string;
  tenant: string;
  orderId: string;
  from: string;
  status: string;
  reason: string | null;
  at: string;
}

/**
 * Pushes every order transition to the sockets watching it: the order's room, its customer, the
 * tenant's staff and ops. Runs after the transition committed (it reacts to the published event), in
 * `prepare()` — a push is outside any transaction and harmless to repeat; delivery to sockets is
 * at-most-once per connection, so clients re-read the order after reconnecting.
 */
@Injectable()
@Consumer({
  name: 'order-status-fanout',
  events: Object.values(ORDER_STATUS_EVENTS),
  scope: 'tenant',
})
export class OrderStatusFanout implements MessageHandler<OrderTransitionPayload> {
  constructor(@Inject(RealtimePublisher) private readonly publisher: RealtimePublisher) {}

  prepare(payload: OrderTransitionPayload, envelope: Envelope): Promise<void> {
    const tenant = envelope.tenant!;
    const message: OrderStatusMessage = {
      eventId: envelope.id,
      tenant,
      orderId: payload.orderId,
      from: payload.before.status,
      status: payload.after.status,
      reason: payload.after.reason ?? null,
      at: envelope.occurredAt,
    };
    this.publisher.publish(
      [rooms.order(tenant, payload.orderId), rooms.user(payload.customerId), rooms.tenant(tenant), rooms.ops],
      'order.status',
      message,
    );
    return Promise.resolve();
  }

  async handle(): Promise<void> {}
}
