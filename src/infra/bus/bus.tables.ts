// Control-database tables of the messaging layer.
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

/** Which consumer wants which event type: the table bus's equivalent of queue bindings. */
export const busBindings = pgTable(
  'bus_bindings',
  {
    consumer: text('consumer').notNull(),
    eventType: text('event_type').notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.consumer, table.eventType] }),
    index('bus_bindings_type_idx').on(table.eventType),
  ],
);

/** The embedded bus: one row per (message, consumer), claimed with `FOR UPDATE SKIP LOCKED`. */
export const busMessages = pgTable(
  'bus_messages',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    messageId: uuid('message_id').notNull(),
    consumer: text('consumer').notNull(),
    envelope: jsonb('envelope').notNull(),
    attempt: integer('attempt').notNull().default(1),
    availableAt: timestamp('available_at', { withTimezone: true }).notNull().defaultNow(),
    lockedUntil: timestamp('locked_until', { withTimezone: true }),
    lastError: text('last_error'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('bus_messages_consumer_message_idx').on(table.consumer, table.messageId),
    // Claims walk a consumer's messages in id order, skipping ones not yet available (retries).
    index('bus_messages_claim_idx').on(table.consumer, table.id),
  ],
);

/** Messages that failed every retry tier, kept with their last error until an operator replays them. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: uuid('id').primaryKey(),
    messageId: uuid('message_id').notNull(),
    consumer: text('consumer').notNull(),
    eventType: text('event_type').notNull(),
    tenant: text('tenant'),
    envelope: jsonb('envelope').notNull(),
    error: text('error').notNull(),
    attempts: integer('attempts').notNull(),
    deadAt: timestamp('dead_at', { withTimezone: true }).notNull().defaultNow(),
    replayedAt: timestamp('replayed_at', { withTimezone: true }),
  },
  (table) => [
    index('dead_letters_dead_at_idx').on(table.deadAt),
    uniqueIndex('dead_letters_consumer_message_idx').on(table.consumer, table.messageId),
  ],
);
