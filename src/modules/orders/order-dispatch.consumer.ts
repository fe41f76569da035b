import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import {
  DispatchFailed,
  DispatchRequested,
  DriverAssigned,
  type DispatchFailedPayload,
  type DriverAssignedPayload,
} from '../dispatch/dispatch.events.js';
import { PaymentsService } from '../payments/payments.service.js';
import { transitionOrder, type OrderActor } from './order-transitions.js';
import { OrderPaid, type OrderTransitionPayload } from './orders.events.js';
import { ordersRepository, type Order } from './orders.repository.js';
import type { Db } from '../../infra/database/sql-database.js';
import type { Emit } from '../../infra/bus/unit-of-work.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';

export const ORDER_DISPATCH = 'order-dispatch';
const ACTOR: OrderActor = { id: `consumer:${ORDER_DISPATCH}`, role: 'SYSTEM' };

type Payload = OrderTransitionPayload | DriverAssignedPayload | DispatchFailedPayload;

/** → DISPATCHING, asking dispatch for a driver in the same transaction. The order is PAID or SCHEDULED. */
export async function startDispatch(tx: Db, emit: Emit, tenant: string, order: Order, actor: OrderActor) {
  const result = await transitionOrder(tx, emit, {
    tenant,
    order,
    to: 'DISPATCHING',
    actor,
    reason: 'looking for a driver',
  });
  if (!result.ok) return result;
  await emit(DispatchRequested, {
    aggregateId: order.id,
    tenant,
    payload: {
      orderId: order.id,
      kind: order.kind === 'RIDE' ? 'RIDE' : 'DELIVERY',
      rideClass: order.rideClass,
      pickup: { lat: order.pickupLat!, lng: order.pickupLng! },
      dropoff: { lat: order.dropoffLat, lng: order.dropoffLng },
    },
  });
  return result;
}

/**
 * The order's side of dispatch, in the tenant's database under the order's row lock:
 * - paid → DISPATCHING, asking dispatch for a driver (`dispatch.requested`, same transaction); a ride
 *   booked for later → SCHEDULED instead, released by the `scheduled-rides` job;
 * - `driver.assigned` → DRIVER_ASSIGNED with the driver and vehicle copied onto the order;
 * - `dispatch.failed` → DISPATCH_FAILED: stock back on the shelf, the payment refunded.
 * An order that moved on meanwhile (cancelled) is left as it is; dispatch follows its events.
 */
@Injectable()
@Consumer({ name: ORDER_DISPATCH, events: [OrderPaid, DriverAssigned, DispatchFailed], scope: 'tenant' })
export class OrderDispatch implements MessageHandler<Payload> {
  constructor(
    @Inject(PaymentsService) private readonly payments: PaymentsService,
    @Inject(ENV) private readonly env: Env,
  ) {}

  async handle(payload: Payload, { tx, emit, envelope }: HandlerContext): Promise<void> {
    const tenant = envelope.tenant!;
    const order = await ordersRepository.find(tx, payload.orderId, true);
    if (!order) return;
    switch (envelope.type) {
      case OrderPaid.type: {
        if (order.status !== 'PAID') return;
        const releaseAt = order.scheduledAt ? order.scheduledAt.getTime() - this.env.RIDE_DISPATCH_LEAD_MS : 0;
        if (releaseAt > Date.now()) {
          await transitionOrder(tx, emit, {
            tenant,
            order,
            to: 'SCHEDULED',
            actor: ACTOR,
            reason: `dispatch at ${new Date(releaseAt).toISOString()}`,
          });
          return;
        }
        await startDispatch(tx, emit, tenant, order, ACTOR);
        return;
      }
      case DriverAssigned.type: {
        if (order.status !== 'DISPATCHING') return;
        const assigned = payload as DriverAssignedPayload;
        const { vehicle } = assigned;
        await transitionOrder(tx, emit, {
          tenant,
          order,
          to: 'DRIVER_ASSIGNED',
          actor: ACTOR,
          reason: `${assigned.driverName} accepted`,
          changes: {
            driverId: assigned.driverId,
            driverUserId: assigned.driverUserId,
            driverName: assigned.driverName,
            vehicleId: vehicle.id,
            vehiclePlate: vehicle.plate,
            vehicleModel: vehicle.model,
            vehicleClass: vehicle.class,
          },
          details: {
            driver: {
              name: assigned.driverName,
              vehicle: { plate: vehicle.plate, model: vehicle.model, class: vehicle.class },
            },
          },
        });
        return;
      }
      case DispatchFailed.type: {
        if (order.status !== 'DISPATCHING') return;
        const { reason } = payload as DispatchFailedPayload;
        await transitionOrder(tx, emit, { tenant, order, to: 'DISPATCH_FAILED', actor: ACTOR, reason });
        const captured = await this.payments.captured(tx, order.id);
        if (captured) await this.payments.requestRefund(tx, emit, tenant, captured.id, `no driver: ${reason}`);
        return;
      }
    }
  }
}
