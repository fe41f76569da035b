// Platform accounts, in the control database: one table for every role.
import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

// Kept literal (not imported) so drizzle-kit, which loads this file on its own, needs nothing else.
const ROLES = ['ADMIN', 'MERCHANT', 'CUSTOMER', 'DRIVER'] as const;

export const USER_STATUSES = ['ACTIVE', 'DISABLED', 'DELETED'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey(),
    email: text('email').notNull(),
    name: text('name').notNull(),
    phone: text('phone'),
    passwordHash: text('password_hash').notNull(),
    role: text('role', { enum: ROLES }).notNull(),
    /** The one tenant a MERCHANT works for; null for every other role. */
    tenantCode: text('tenant_code'),
    status: text('status', { enum: USER_STATUSES }).notNull().default('ACTIVE'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    // Emails are unique whatever their case.
    uniqueIndex('users_email_lower_idx').on(sql`lower(${table.email})`),
    index('users_role_idx').on(table.role),
    index('users_tenant_idx').on(table.tenantCode),
    check('users_role_check', sql`${table.role} in ('ADMIN', 'MERCHANT', 'CUSTOMER', 'DRIVER')`),
    check('users_status_check', sql`${table.status} in ('ACTIVE', 'DISABLED', 'DELETED')`),
    check('users_merchant_tenant_check', sql`(${table.role} = 'MERCHANT') = (${table.tenantCode} is not null)`),
  ],
);
