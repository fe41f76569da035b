import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { OrderTransitions, type OrderStatusChange } from '../orders/order-transitions.js';
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
  /** The checkout link, when the order now awaits payment: a customer app can open it at once. */
  payment?: { id: string; checkoutUrl: string; expiresAt: string };
}

/**
 * Pushes every order transition to the sockets watching it — the order's room, its customer, the
 * tenant's staff and ops — right after the transition commits, in the process that made it, in the
 * order the transitions happened (no hop through the bus). Delivery to sockets is at-most-once per
 * connection, so clients re-read the order after reconnecting.
 */
@Injectable()
export class OrderStatusPush implements OnModuleInit {
  constructor(
    @Inject(OrderTransitions) private readonly transitions: OrderTransitions,
    @Inject(RealtimePublisher) private readonly publisher: RealtimePublisher,
  ) {}

  onModuleInit(): void {
    this.transitions.observe((change) => this.push(change));
  }

  private push(change: OrderStatusChange): void {
    const message: OrderStatusMessage = {
      eventId: change.eventId,
      tenant: change.tenant,
      orderId: change.orderId,
      from: change.from,
      status: change.to,
      reason: change.reason,
      at: change.at,
      ...(change.payment ? { payment: change.payment } : {}),
    };
    this.publisher.publish(
      [
        rooms.order(change.tenant, change.orderId),
        rooms.user(change.customerId),
        rooms.tenant(change.tenant),
        rooms.ops,
      ],
      'order.status',
      message,
    );
  }
}
