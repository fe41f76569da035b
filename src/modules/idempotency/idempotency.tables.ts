// Idempotency keys (DESIGN §5, §7), in the control database: one row per (user, scope, key), 24 h.
import { index, integer, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id').notNull(),
    /** The operation, e.g. `POST /api/tenants/shop/orders`: a key means nothing outside its route. */
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of the canonical JSON of the validated body. */
    requestHash: text('request_hash').notNull(),
    /** Allocated with the key, so every attempt of the request creates the same resource (e.g. order id). */
    resourceId: uuid('resource_id').notNull(),
    /** Set once the first attempt finished; a replay answers exactly this. */
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.scope, table.key] }),
    index('idempotency_keys_created_idx').on(table.createdAt),
  ],
);
