import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { z } from 'zod';
import type { Envelope } from '../../infra/bus/envelope.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { ORDER_TRANSITION_EVENTS, type OrderTransitionPayload } from '../orders/orders.events.js';
import type { orderStatusMessage } from './realtime-events.js';
import { RealtimePublisher } from './realtime-publisher.js';
import { rooms } from './realtime-rooms.js';

/** What `order.status` carries to sockets (the schema documents it in docs/REALTIME.md). */
export type OrderStatusMessage = z.infer<typeof orderStatusMessage>;

/**
 * Pushes every order transition to the sockets watching it — the order's room, its customer, the
 * tenant's staff and ops — right after the transition commits, in the process that made it, in the
 * order the transitions happened (no hop through the bus). Delivery to sockets is at-most-once per
 * connection, so clients re-read the order after reconnecting.
 */
@Injectable()
export class OrderStatusPush implements OnModuleInit {
  constructor(
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(RealtimePublisher) private readonly publisher: RealtimePublisher,
  ) {}

  onModuleInit(): void {
    this.unitOfWork.onCommitted(ORDER_TRANSITION_EVENTS, (envelope) => this.push(envelope));
  }

  private push({ id, tenant, occurredAt, payload }: Envelope<OrderTransitionPayload>): void {
    if (!tenant) return;
    const message: OrderStatusMessage = {
      eventId: id,
      tenant,
      orderId: payload.orderId,
      from: payload.before.status,
      status: payload.after.status,
      reason: payload.after.reason ?? null,
      at: occurredAt,
      ...(payload.after.payment ? { payment: payload.after.payment } : {}),
    };
    this.publisher.publish(
      [rooms.order(tenant, payload.orderId), rooms.user(payload.customerId), rooms.tenant(tenant), rooms.ops],
      'order.status',
      message,
    );
  }
}
