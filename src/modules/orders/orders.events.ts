import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';
import { ORDER_STATUSES } from './order-states.js';

// Order events, emitted in the tenant's database with `tenant` set and `aggregateId` the order id.
// Transitions carry `{ before, after }` (statuses plus the little that changed): what the audit trail stores.
// `customerId` rides along so consumers that talk to the customer (notifications, realtime) need no lookup.

const status = z.enum(ORDER_STATUSES);
const place = z.object({ lat: z.number(), lng: z.number(), address: z.string() });

/**
 * The order as its summary shows it right after the change (without id, customer and tenant, which the
 * payload and envelope carry), so a read model (`customer-orders`) can store it without asking the
 * tenant's database. Outside `before`/`after` on purpose: the audit trail keeps those, and has no use
 * for a copy of the drop-off address on every entry. Optional: events written before it existed
 * lack it, and a consumer must cope.
 */
export const orderSnapshot = z.object({
  kind: z.enum(['DELIVERY', 'RIDE']),
  status,
  currency: z.string(),
  subtotal: z.number().int().nullable(),
  deliveryFee: z.number().int().nullable(),
  total: z.number().int().nullable(),
  dropoff: place,
  note: z.string().nullable(),
  pickup: place.nullable(),
  driver: z
    .object({ name: z.string(), vehicle: z.object({ plate: z.string(), model: z.string(), class: z.string() }) })
    .nullable(),
  proofNote: z.string().nullable(),
  rejectionReason: z.string().nullable(),
  cancelReason: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type OrderSnapshot = z.infer<typeof orderSnapshot>;

export const OrderPlaced = defineEvent(
  'order.placed',
  z.object({
    orderId: z.uuid(),
    customerId: z.uuid(),
    before: z.null(),
    after: z.object({ status: z.literal('PENDING'), items: z.number().int() }),
    order: orderSnapshot.optional(),
  }),
);
export type OrderPlacedPayload = z.infer<typeof OrderPlaced.schema>;

/** The checkout the customer pays through, present once the order awaits payment. */
export const checkoutSummary = z.object({ id: z.uuid(), checkoutUrl: z.string(), expiresAt: z.string() });

const transition = z.object({
  orderId: z.uuid(),
  customerId: z.uuid(),
  before: z.object({ status }),
  after: z.object({
    status,
    reason: z.string().nullable().optional(),
    total: z.number().int().nullable().optional(),
    currency: z.string().optional(),
    payment: checkoutSummary.optional(),
    driver: z
      .object({ name: z.string(), vehicle: z.object({ plate: z.string(), model: z.string(), class: z.string() }) })
      .optional(),
  }),
  order: orderSnapshot.optional(),
});
export type OrderTransitionPayload = z.infer<typeof transition>;

export const OrderValidated = defineEvent('order.validated', transition);
export const OrderRejected = defineEvent('order.rejected', transition);
export const OrderPaid = defineEvent('order.paid', transition);
export const OrderPaymentFailed = defineEvent('order.payment_failed', transition);
export const OrderExpired = defineEvent('order.expired', transition);
export const OrderCancelled = defineEvent('order.cancelled', transition);
export const OrderScheduled = defineEvent('order.scheduled', transition);
export const OrderDispatching = defineEvent('order.dispatching', transition);
export const OrderDriverAssigned = defineEvent('order.driver_assigned', transition);
export const OrderDispatchFailed = defineEvent('order.dispatch_failed', transition);
export const OrderPickedUp = defineEvent('order.picked_up', transition);
export const OrderDelivered = defineEvent('order.delivered', transition);

/** Every event an order transition emits (the order process table says which row emits which). */
export const ORDER_TRANSITION_EVENTS = [
  OrderValidated,
  OrderRejected,
  OrderPaid,
  OrderPaymentFailed,
  OrderExpired,
  OrderScheduled,
  OrderDispatching,
  OrderDriverAssigned,
  OrderDispatchFailed,
  OrderPickedUp,
  OrderDelivered,
  OrderCancelled,
];
