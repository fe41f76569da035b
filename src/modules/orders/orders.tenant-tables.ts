// Orders, in the tenant's own database: the order, its lines (price snapshots) and its status history.
import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';
import { ORDER_STATUSES } from './order-states.js';

const statusList = sql.raw(ORDER_STATUSES.map((status) => `'${status}'`).join(', '));

export const orders = pgTable(
  'orders',
  {
    /** UUID v7, allocated before the insert (it doubles as the Idempotency-Key's resource id). */
    id: uuid('id').primaryKey(),
    kind: text('kind').notNull().default('DELIVERY'),
    /** The customer (a user of the control database). */
    customerId: uuid('customer_id').notNull(),
    status: text('status').notNull().default('PENDING'),
    currency: text('currency').notNull(),
    /** Minor units of `currency`; null until validation priced the order. */
    subtotal: integer('subtotal'),
    deliveryFee: integer('delivery_fee'),
    total: integer('total'),
    dropoffLat: doublePrecision('dropoff_lat').notNull(),
    dropoffLng: doublePrecision('dropoff_lng').notNull(),
    dropoffAddress: text('dropoff_address').notNull(),
    note: text('note'),
    /** Where the trip starts: the shop's pickup point for deliveries, the rider's for rides. */
    pickupLat: doublePrecision('pickup_lat'),
    pickupLng: doublePrecision('pickup_lng'),
    pickupAddress: text('pickup_address'),
    /** Rides: the vehicle class booked, and when (null: now). */
    rideClass: text('ride_class'),
    scheduledAt: timestamp('scheduled_at', { withTimezone: true }),
    /** The assigned driver and vehicle, copied at assignment so the order reads without the fleet. */
    driverId: uuid('driver_id'),
    /** The driver's user account: who may mark the order picked up and delivered. */
    driverUserId: uuid('driver_user_id'),
    driverName: text('driver_name'),
    vehicleId: uuid('vehicle_id'),
    vehiclePlate: text('vehicle_plate'),
    vehicleModel: text('vehicle_model'),
    vehicleClass: text('vehicle_class'),
    /** Optional note the driver leaves at delivery (where the parcel was left, who took it). */
    proofNote: text('proof_note'),
    rejectionReason: text('rejection_reason'),
    cancelReason: text('cancel_reason'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('orders_customer_idx').on(table.customerId, table.createdAt),
    index('orders_status_idx').on(table.status, table.createdAt),
    index('orders_created_idx').on(table.createdAt),
    check('orders_status_check', sql`${table.status} in (${statusList})`),
    check('orders_kind_check', sql`${table.kind} in ('DELIVERY', 'RIDE')`),
    index('orders_scheduled_idx')
      .on(table.scheduledAt)
      .where(sql`${table.status} = 'SCHEDULED'`),
    check('orders_money_check', sql`${table.subtotal} >= 0 and ${table.deliveryFee} >= 0 and ${table.total} >= 0`),
  ],
);

/**
 * The lines of an order. Written at intake with product and quantity; validation snapshots the
 * product's name and price (later catalog changes do not touch a placed order).
 */
export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** Position in the request, from 0. */
    line: integer('line').notNull(),
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    name: text('name'),
    unitPrice: integer('unit_price'),
    lineTotal: integer('line_total'),
  },
  (table) => [
    primaryKey({ columns: [table.orderId, table.line] }),
    check('order_items_quantity_check', sql`${table.quantity} > 0`),
  ],
);

/** Every status change of an order, with who made it and why. Append-only by convention. */
export const orderEvents = pgTable(
  'order_events',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status'),
    toStatus: text('to_status').notNull(),
    /** A user id, or `consumer:<name>` for the system. */
    actorId: text('actor_id'),
    actorRole: text('actor_role').notNull(),
    reason: text('reason'),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [index('order_events_order_idx').on(table.orderId, table.at)],
);
