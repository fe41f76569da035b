// The audit trail, in the control database. Append-only: a trigger (migration 0003) refuses UPDATE,
// DELETE and TRUNCATE, so not even a bug or a careless operator with SQL access can rewrite history.
import { index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const auditLog = pgTable(
  'audit_log',
  {
    /** The id of the event the entry records, so a redelivered event cannot add a second entry. */
    id: uuid('id').primaryKey(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    actorId: text('actor_id'),
    actorRole: text('actor_role'),
    action: text('action').notNull(),
    entity: text('entity').notNull(),
    entityId: text('entity_id').notNull(),
    tenant: text('tenant'),
    ip: text('ip'),
    requestId: text('request_id'),
    /** What changed: `{ before, after }` where the event says, else the event's (small) payload. */
    summary: jsonb('summary').notNull(),
    recordedAt: timestamp('recorded_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index('audit_log_occurred_idx').on(table.occurredAt),
    index('audit_log_actor_idx').on(table.actorId, table.occurredAt),
    index('audit_log_entity_idx').on(table.entity, table.entityId),
    index('audit_log_tenant_idx').on(table.tenant, table.occurredAt),
    index('audit_log_action_idx').on(table.action, table.occurredAt),
  ],
);
