import { CLOCK, type Clock } from '../../common/clock.js';
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Consumer, type HandlerContext, type MessageHandler } from '../../infra/bus/consumer.js';
import type { Envelope } from '../../infra/bus/envelope.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { MAILER, type MailOutcome, type MailPort } from '../../infra/mail/mail.port.js';
import {
  OrderCancelled,
  OrderDelivered,
  OrderExpired,
  OrderPaid,
  OrderPaymentFailed,
  OrderValidated,
  type OrderTransitionPayload,
} from '../orders/orders.events.js';
import { PaymentRefunded, type PaymentRefundedPayload } from '../payments/payments.events.js';
import { ReadyTenants } from '../tenants/ready-tenants.js';
import { Accounts } from '../users/accounts.js';
import { notificationMessage } from './notification-messages.js';
import { notificationsRepository, type NewNotification } from './notifications.repository.js';
import { notificationId, NotificationsService } from './notifications.service.js';

export const NOTIFIER = 'notifier';

type NotifyingPayload = OrderTransitionPayload | PaymentRefundedPayload;

/**
 * Tells customers what happened to their orders: one email and one `notifications` row per event,
 * in the control database (a customer hears from every tenant they buy from, in one list).
 *
 * The mail goes out in `prepare()`, outside any transaction, and only when no row for this message
 * exists yet; `handle()` records the row (its id derived from the message id) with the inbox mark.
 * Email is therefore AT LEAST ONCE: a crash, or a failed commit, between the send and the commit
 * sends the mail again on redelivery (as do two deliveries of one message racing). The row is never
 * written twice. A mail server that fails or is unreachable throws, so the bus retries through its
 * tiers and dead-letters after the last; a mail the server refuses for good is recorded FAILED.
 * Without SMTP_URL nothing is sent and the row is STORED.
 */
@Injectable()
@Consumer({
  name: NOTIFIER,
  events: [
    OrderValidated,
    OrderPaymentFailed,
    OrderPaid,
    OrderExpired,
    OrderCancelled,
    OrderDelivered,
    PaymentRefunded,
  ],
  scope: 'control',
  batch: 32,
})
export class Notifier implements MessageHandler<NotifyingPayload, NewNotification | undefined> {
  constructor(
    @Inject(NotificationsService) private readonly notifications: NotificationsService,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(ReadyTenants) private readonly tenants: ReadyTenants,
    @Inject(MAILER) private readonly mailer: MailPort,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async prepare(payload: NotifyingPayload, envelope: Envelope): Promise<NewNotification | undefined> {
    const [prepared] = await this.prepareBatch([{ payload, envelope }]);
    return prepared;
  }

  /** One read says which of these were recorded already; the others are mailed, one after the other. */
  async prepareBatch(items: { payload: NotifyingPayload; envelope: Envelope }[]) {
    const recorded = await this.notifications.recordedOf(items.map(({ envelope }) => notificationId(envelope.id)));
    const prepared: (NewNotification | undefined)[] = [];
    for (const { payload, envelope } of items) {
      const id = notificationId(envelope.id);
      prepared.push(recorded.has(id) ? undefined : await this.send(id, payload, envelope));
    }
    return prepared;
  }

  private async send(id: string, payload: NotifyingPayload, envelope: Envelope): Promise<NewNotification | undefined> {
    const recipient = await this.accounts.contactOf(payload.customerId);
    if (!recipient) {
      this.log.warn({ messageId: envelope.id, userId: payload.customerId }, 'notification dropped: no such account');
      return undefined;
    }
    const tenant = envelope.tenant;
    const shop = (tenant ? (await this.tenants.profile(tenant))?.name : undefined) ?? tenant ?? 'Ordo';
    const message = notificationMessage(envelope.type, payload, shop);
    if (!message) return undefined;

    const outcome = await this.mailer.send({ id, to: recipient.email, subject: message.subject, text: message.body });
    return {
      id,
      userId: recipient.id,
      ...message,
      channel: 'email',
      ...recorded(outcome, this.clock.now()),
      tenant,
      orderId: payload.orderId,
    };
  }

  async handle(_payload: NotifyingPayload, context: HandlerContext<NewNotification | undefined>) {
    await this.handleBatch([context]);
  }

  /** A batch's notifications in one insert. */
  async handleBatch(contexts: HandlerContext<NewNotification | undefined>[]) {
    const sent = contexts.flatMap(({ prepared }) => (prepared ? [prepared] : []));
    if (sent.length > 0) await notificationsRepository.record(contexts[0]!.tx, sent);
  }
}

function recorded(outcome: MailOutcome, now: Date): Pick<NewNotification, 'status' | 'error' | 'sentAt'> {
  switch (outcome.status) {
    case 'sent':
      return { status: 'SENT', error: null, sentAt: now };
    case 'logged':
      return { status: 'STORED', error: null, sentAt: null };
    case 'rejected':
      return { status: 'FAILED', error: outcome.error, sentAt: null };
  }
}
