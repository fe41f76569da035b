// Merchants as the platform knows them, in the control database. Their data lives in their own database.
import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const TENANT_STATUSES = ['PROVISIONING', 'READY', 'FAILED', 'SUSPENDED'] as const;
export type TenantStatus = (typeof TENANT_STATUSES)[number];

export const tenants = pgTable(
  'tenants',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    /** ISO 4217; every amount of this tenant is in minor units of it. */
    currency: text('currency').notNull(),
    pickupLat: doublePrecision('pickup_lat').notNull(),
    pickupLng: doublePrecision('pickup_lng').notNull(),
    pickupAddress: text('pickup_address').notNull(),
    status: text('status', { enum: TENANT_STATUSES }).notNull().default('PROVISIONING'),
    failureReason: text('failure_reason'),
    /** Which database server holds the tenant's database. */
    placement: text('placement').notNull().default('default'),
    schemaVersion: integer('schema_version').notNull().default(0),
    ownerUserId: uuid('owner_user_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    readyAt: timestamp('ready_at', { withTimezone: true }),
  },
  (table) => [
    index('tenants_status_idx').on(table.status),
    check('tenants_status_check', sql`${table.status} in ('PROVISIONING', 'READY', 'FAILED', 'SUSPENDED')`),
    check('tenants_code_check', sql`${table.code} ~ '^[a-z][a-z0-9_]{2,30}$'`),
  ],
);
