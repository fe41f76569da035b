// Tables present in the control database and in every tenant database: whatever database a state
// change commits in, its events and its handled-message marks commit with it.
import { sql } from 'drizzle-orm';
import { index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Events written in the same transaction as the state change; the relay publishes them after commit. */
export const outbox = pgTable(
  'outbox',
  {
    id: uuid('id').primaryKey(),
    type: text('type').notNull(),
    tenant: text('tenant'),
    aggregateId: text('aggregate_id').notNull(),
    payload: jsonb('payload').notNull(),
    traceparent: text('traceparent'),
    /** Who caused the event and through which request (actor, role, IP, request id), for the audit trail. */
    meta: jsonb('meta'),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    /** A relay holds unpublished rows until this time, so two relays never publish one row at once. */
    claimedUntil: timestamp('claimed_until', { withTimezone: true }),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (table) => [
    index('outbox_unpublished_idx')
      .on(table.occurredAt)
      .where(sql`${table.publishedAt} is null`),
  ],
);

/** One row per (message, consumer) handled; written in the handler's transaction, it makes redelivery a no-op. */
export const inbox = pgTable(
  'inbox',
  {
    messageId: uuid('message_id').notNull(),
    consumer: text('consumer').notNull(),
    handledAt: timestamp('handled_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.messageId, table.consumer] })],
);
