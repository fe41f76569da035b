// Control-database registry of physical tenant databases: where each lives and its schema version.
import { integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

export const tenantDatabases = pgTable('tenant_databases', {
  code: text('code').primaryKey(),
  /** Which configured server holds the database (`default` = DATABASE_URL's server). */
  placement: text('placement').notNull(),
  schemaVersion: integer('schema_version').notNull().default(0),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  migratedAt: timestamp('migrated_at', { withTimezone: true }),
});
