import { z } from 'zod';
import { pageMetaSchema } from '../../common/http/pagination.js';
import { NOTIFICATION_CHANNELS, NOTIFICATION_STATUSES } from './notifications.tables.js';

export const notificationViewSchema = z
  .object({
    id: z.uuid(),
    kind: z.string().describe('What it is about: `order.awaiting_payment`, `order.paid`, `payment.refunded`, …'),
    channel: z.enum(NOTIFICATION_CHANNELS),
    subject: z.string(),
    body: z.string().describe('Plain text, as emailed'),
    link: z.string().nullable().describe('Where to act on it (the checkout page of an order awaiting payment)'),
    status: z
      .enum(NOTIFICATION_STATUSES)
      .describe(
        'SENT: emailed. STORED: no mail server is configured, so only listed here. FAILED: the mail was refused',
      ),
    tenant: z.string().nullable().describe('The shop it is about'),
    orderId: z.uuid().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable().describe('When the mail server accepted the email'),
  })
  .meta({ id: 'Notification' });
export type NotificationView = z.infer<typeof notificationViewSchema>;

export const notificationPageSchema = z.object({
  data: z.array(notificationViewSchema),
  meta: pageMetaSchema,
});
