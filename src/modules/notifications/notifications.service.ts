import { Inject, Injectable } from '@nestjs/common';
import { v5 } from 'uuid';
import { page, type Page, type PaginationQuery } from '../../common/http/pagination.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import type { NotificationView } from './notifications.dto.js';
import { notificationsRepository, type Notification } from './notifications.repository.js';

/** Namespace of notification ids (uuid v5 of the causing message's id). */
const NOTIFICATION_NAMESPACE = 'b5a3c1d2-6f0e-4d8a-9c47-2e1f0a9b8c7d';

/**
 * The id of the notification a message causes: derived, not random, so every delivery of the same
 * message (a redelivery, a replayed dead letter) lands on the same row.
 */
export function notificationId(messageId: string): string {
  return v5(messageId, NOTIFICATION_NAMESPACE);
}

/** Reads notifications; only the notifier consumer writes them. */
@Injectable()
export class NotificationsService {
  constructor(@Inject(CONTROL_DATABASE) private readonly control: SqlDatabase) {}

  /** A user's own notifications, newest first. */
  async list(userId: string, query: PaginationQuery): Promise<Page<NotificationView>> {
    const { rows, total } = await this.control.transaction((tx) =>
      notificationsRepository.page(tx, userId, query.per_page, (query.page - 1) * query.per_page),
    );
    return page(rows.map(notificationView), query, total);
  }

  /** Which of these notifications were recorded already (their mail went out, or was refused, already). */
  recordedOf(ids: string[]): Promise<Set<string>> {
    return this.control.read(async (db) => new Set(await notificationsRepository.existing(db, ids)));
  }
}

function notificationView(row: Notification): NotificationView {
  return {
    id: row.id,
    kind: row.kind,
    channel: row.channel,
    subject: row.subject,
    body: row.body,
    link: row.link,
    status: row.status,
    tenant: row.tenant,
    orderId: row.orderId,
    createdAt: new Date(row.createdAt).toISOString(),
    sentAt: row.sentAt ? new Date(row.sentAt).toISOString() : null,
  };
}
