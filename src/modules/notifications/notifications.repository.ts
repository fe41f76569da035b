import { inArray, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { notifications } from './notifications.tables.js';

export type Notification = typeof notifications.$inferSelect;
export type NewNotification = typeof notifications.$inferInsert;

/** Queries on notifications. Every function takes the transaction it runs in. */
export const notificationsRepository = {
  /** Which of these ids have a row. */
  async existing(tx: Db, ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows = await tx.select({ id: notifications.id }).from(notifications).where(inArray(notifications.id, ids));
    return rows.map((row) => row.id);
  },

  /** Inserts unless a row with this id exists (a redelivered or replayed message): the first one stands. */
  async record(tx: Db, batch: NewNotification[]): Promise<void> {
    if (batch.length === 0) return;
    await tx.insert(notifications).values(batch).onConflictDoNothing({ target: notifications.id });
  },

  /** A user's notifications, newest first. */
  async page(tx: Db, userId: string, limit: number, offset: number): Promise<{ rows: Notification[]; total: number }> {
    const mine = eq(notifications.userId, userId);
    const rows = await tx
      .select()
      .from(notifications)
      .where(mine)
      .orderBy(desc(notifications.createdAt), desc(notifications.id))
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(notifications)
      .where(mine);
    return { rows, total: Number(count?.total ?? 0) };
  },
};
