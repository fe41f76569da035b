// What Ordo told its users, in the control database: a user hears from every tenant they order from,
// and reads it all in one list (`GET /api/me/notifications`).
import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from '../users/users.tables.js';

/** `email`: meant for the user's inbox (and listed in the app); `in_app`: only ever listed. */
export const NOTIFICATION_CHANNELS = ['email', 'in_app'] as const;
/** SENT: the mail server accepted it. STORED: no mail server configured, only listed. FAILED: refused for good. */
export const NOTIFICATION_STATUSES = ['SENT', 'STORED', 'FAILED'] as const;

const quoted = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export const notifications = pgTable(
  'notifications',
  {
    /** Derived from the id of the message that caused it, so a redelivery cannot add a second row. */
    id: uuid('id').primaryKey(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id),
    /** What it is about, e.g. `order.awaiting_payment`, `payment.refunded`. */
    kind: text('kind').notNull(),
    channel: text('channel', { enum: NOTIFICATION_CHANNELS }).notNull(),
    subject: text('subject').notNull(),
    /** Plain text: the email's body. */
    body: text('body').notNull(),
    /** Where the user can act on it (a checkout page), if anywhere. */
    link: text('link'),
    status: text('status', { enum: NOTIFICATION_STATUSES }).notNull(),
    /** Why the mail server refused it (FAILED). */
    error: text('error'),
    tenant: text('tenant'),
    orderId: uuid('order_id'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
  },
  (table) => [
    index('notifications_user_idx').on(table.userId, table.createdAt),
    check('notifications_channel_check', sql`${table.channel} in (${quoted(NOTIFICATION_CHANNELS)})`),
    check('notifications_status_check', sql`${table.status} in (${quoted(NOTIFICATION_STATUSES)})`),
  ],
);
