import { Inject, Injectable } from '@nestjs/common';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import {
  DispatchFailed,
  DriverAssigned,
  type DispatchFailedPayload,
  type DriverAssignedPayload,
} from '../dispatch/dispatch.events.js';
import { OrderTransitions, type OrderActor } from './order-transitions.js';
import { ordersRepository } from './orders.repository.js';

export const ORDER_DISPATCH = 'order-dispatch';
const ACTOR: OrderActor = { id: `consumer:${ORDER_DISPATCH}`, role: 'SYSTEM' };

type Payload = DriverAssignedPayload | DispatchFailedPayload;

/**
 * The order's side of dispatch's outcome, in the tenant's database under the order's row lock:
 * - `driver.assigned` → DRIVER_ASSIGNED with the driver and vehicle copied onto the order;
 * - `dispatch.failed` → DISPATCH_FAILED (the row's effects put the stock back and refund the payment).
 * An order that moved on meanwhile (cancelled) is left as it is; dispatch follows its events.
 */
@Injectable()
@Consumer({ name: ORDER_DISPATCH, events: [DriverAssigned, DispatchFailed], scope: 'tenant' })
export class OrderDispatch implements MessageHandler<Payload> {
  constructor(@Inject(OrderTransitions) private readonly transitions: OrderTransitions) {}

  async handle(payload: Payload, unit: HandlerContext): Promise<void> {
    const tenant = unit.envelope.tenant!;
    const order = await ordersRepository.find(unit.tx, payload.orderId, true);
    if (!order || order.status !== 'DISPATCHING') return;
    if (unit.envelope.type === DispatchFailed.type) {
      const { reason } = payload as DispatchFailedPayload;
      await this.transitions.apply(unit, { tenant, order, to: 'DISPATCH_FAILED', actor: ACTOR, reason });
      return;
    }
    const assigned = payload as DriverAssignedPayload;
    const { vehicle } = assigned;
    await this.transitions.apply(unit, {
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
  }
}
