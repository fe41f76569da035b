// Every customer's orders across tenants, in the control database: a read model of the tenants' `orders`,
// kept by the `customer-orders` consumer from order events, so `GET /api/orders` reads one table instead
// of every tenant database. The tenant databases stay the truth; this copy may trail them briefly.
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
import { tenants } from '../tenants/tenants.tables.js';
import { users } from '../users/users.tables.js';

export const customerOrders = pgTable(
  'customer_orders',
  {
    tenant: text('tenant')
      .notNull()
      .references(() => tenants.code),
    orderId: uuid('order_id').notNull(),
    customerId: uuid('customer_id')
      .notNull()
      .references(() => users.id),
    kind: text('kind').notNull(),
    status: text('status').notNull(),
    /**
     * `orderProgress(status)` (order-progress.ts): a snapshot replaces the row only if it is at least as
     * far along, so a late or redelivered older event never takes the status back.
     */
    progress: integer('progress').notNull(),
    currency: text('currency').notNull(),
    subtotal: integer('subtotal'),
    deliveryFee: integer('delivery_fee'),
    total: integer('total'),
    dropoffLat: doublePrecision('dropoff_lat').notNull(),
    dropoffLng: doublePrecision('dropoff_lng').notNull(),
    dropoffAddress: text('dropoff_address').notNull(),
    note: text('note'),
    pickupLat: doublePrecision('pickup_lat'),
    pickupLng: doublePrecision('pickup_lng'),
    pickupAddress: text('pickup_address'),
    driverName: text('driver_name'),
    vehiclePlate: text('vehicle_plate'),
    vehicleModel: text('vehicle_model'),
    vehicleClass: text('vehicle_class'),
    proofNote: text('proof_note'),
    rejectionReason: text('rejection_reason'),
    cancelReason: text('cancel_reason'),
    /** The order's own times, as its tenant database has them (not when this row was written). */
    createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (table) => [
    // An order id is unique in its tenant's database; the pair is unique here.
    primaryKey({ columns: [table.tenant, table.orderId] }),
    // The page query: one customer's orders, newest first, ties broken by id (UUID v7) like the tenants' lists.
    // NULLS FIRST is what `order by … desc` means in PostgreSQL: drizzle's default (NULLS LAST) would not
    // match it, and the planner would sort the customer's rows instead of reading the index in order.
    index('customer_orders_page_idx').on(
      table.customerId,
      table.createdAt.desc().nullsFirst(),
      table.orderId.desc().nullsFirst(),
    ),
    check('customer_orders_progress_check', sql`${table.progress} >= 0`),
  ],
);
