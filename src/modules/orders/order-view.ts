import type { CheckoutView } from '../payments/payments.dto.js';
import type { OrderStatus } from './order-states.js';
import type { OrderEta, OrderSummary, OrderView } from './orders.dto.js';
import type { OrderSnapshot } from './orders.events.js';
import type { Order, OrderEvent, OrderItem } from './orders.repository.js';
import type { CustomerOrder } from './customer-orders.repository.js';

const iso = (value: Date | string) => new Date(value).toISOString();

/** The columns a summary shows: an order's own, or the read model's copy of them. */
type SummarySource = Pick<
  Order,
  Exclude<keyof Order, 'rideClass' | 'scheduledAt' | 'driverId' | 'driverUserId' | 'vehicleId'>
>;

export function orderSummary(order: SummarySource, tenant: string): OrderSummary {
  return {
    id: order.id,
    tenant,
    kind: order.kind as OrderSummary['kind'],
    customerId: order.customerId,
    status: order.status as OrderStatus,
    currency: order.currency,
    subtotal: order.subtotal,
    deliveryFee: order.deliveryFee,
    total: order.total,
    dropoff: { lat: order.dropoffLat, lng: order.dropoffLng, address: order.dropoffAddress },
    note: order.note,
    pickup:
      order.pickupLat !== null && order.pickupLng !== null
        ? { lat: order.pickupLat, lng: order.pickupLng, address: order.pickupAddress ?? '' }
        : null,
    driver:
      order.driverName && order.vehiclePlate
        ? {
            name: order.driverName,
            vehicle: { plate: order.vehiclePlate, model: order.vehicleModel ?? '', class: order.vehicleClass ?? '' },
          }
        : null,
    proofNote: order.proofNote,
    rejectionReason: order.rejectionReason,
    cancelReason: order.cancelReason,
    createdAt: iso(order.createdAt),
    updatedAt: iso(order.updatedAt),
  };
}

/** A row of the customer-orders read model, shown exactly as the order it copies. */
export function customerOrderSummary(row: CustomerOrder): OrderSummary {
  return orderSummary({ ...row, id: row.orderId }, row.tenant);
}

/** What order events carry of the order (`orders.events.ts`): its summary less what the envelope says. */
export function orderSnapshotOf(order: Order): OrderSnapshot {
  const { id: _id, tenant: _tenant, customerId: _customerId, ...snapshot } = orderSummary(order, '');
  return snapshot;
}

export function orderView(
  order: Order,
  items: OrderItem[],
  tenant: string,
  payment: CheckoutView | null,
  eta: OrderEta | null,
): OrderView {
  return {
    ...orderSummary(order, tenant),
    payment,
    eta,
    items: items.map((item) => ({
      productId: item.productId,
      quantity: item.quantity,
      name: item.name,
      unitPrice: item.unitPrice,
      lineTotal: item.lineTotal,
    })),
  };
}

export function orderEventView(event: OrderEvent) {
  return {
    id: event.id,
    from: event.fromStatus as OrderStatus | null,
    to: event.toStatus as OrderStatus,
    actor: { id: event.actorId, role: event.actorRole },
    reason: event.reason,
    at: iso(event.at),
  };
}
