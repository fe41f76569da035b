// Bus probes: operator-triggered messages that prove the outbox → bus → consumer path end to end.
import { boolean, integer, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';

export const busProbes = pgTable('bus_probes', {
  id: uuid('id').primaryKey(),
  /** How long the consumer works on the message before committing (to observe in-flight behaviour). */
  delayMs: integer('delay_ms').notNull().default(0),
  /** A probe that always fails: it walks the retry tiers into the dead-letter store. */
  fail: boolean('fail').notNull().default(false),
  handledCount: integer('handled_count').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  lastHandledAt: timestamp('last_handled_at', { withTimezone: true }),
});
