// Payments, in the tenant's own database beside its orders: one row per checkout, every provider
// event received (the webhook dedupe key), and refunds.
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { PAYMENT_STATUSES } from './payments.events.js';

const statusList = sql.raw(PAYMENT_STATUSES.map((status) => `'${status}'`).join(', '));

/** One checkout of one order. An order normally has one; a late or duplicate payment is refunded. */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey(),
    /** The order it pays (same database; no foreign key, so payments never depend on the orders module's schema). */
    orderId: uuid('order_id').notNull(),
    customerId: uuid('customer_id').notNull(),
    provider: text('provider').notNull(),
    /** The provider's id for the checkout (the sandbox uses the payment id). */
    providerRef: text('provider_ref'),
    checkoutUrl: text('checkout_url').notNull(),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull().default('PENDING'),
    failureReason: text('failure_reason'),
    /** Due time of the payment expiry job (DESIGN §6: time-based work is rows with a due time). */
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('payments_order_idx').on(table.orderId, table.createdAt),
    index('payments_due_idx')
      .on(table.expiresAt)
      .where(sql`${table.status} in ('PENDING', 'FAILED')`),
    check('payments_status_check', sql`${table.status} in (${statusList})`),
    check('payments_amount_check', sql`${table.amount} >= 0`),
  ],
);

/**
 * What happened to a payment, in order: created, every provider event (applied or ignored, and why),
 * refunds. A provider event id is unique per provider: the same webhook delivered twice is recorded once.
 */
export const paymentEvents = pgTable(
  'payment_events',
  {
    id: uuid('id').primaryKey(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id, { onDelete: 'cascade' }),
    provider: text('provider').notNull(),
    /** Null for events Ordo itself records (created, expired, refund requested). */
    providerEventId: text('provider_event_id'),
    type: text('type').notNull(),
    amount: integer('amount'),
    currency: text('currency'),
    /** `applied`, or `ignored: <why>` (a late `failed` after `succeeded`, for instance). */
    outcome: text('outcome').notNull(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('payment_events_provider_event_idx').on(table.provider, table.providerEventId),
    index('payment_events_payment_idx').on(table.paymentId, table.at),
  ],
);

export const REFUND_STATUSES = ['REQUESTED', 'SUCCEEDED'] as const;

/** Money given back through the provider. One refund per payment (the whole amount). */
export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey(),
    paymentId: uuid('payment_id')
      .notNull()
      .references(() => payments.id, { onDelete: 'cascade' }),
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    status: text('status').notNull().default('REQUESTED'),
    providerRef: text('provider_ref'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('refunds_payment_idx').on(table.paymentId),
    check('refunds_status_check', sql`${table.status} in ('REQUESTED', 'SUCCEEDED')`),
  ],
);
