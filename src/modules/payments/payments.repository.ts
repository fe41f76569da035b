import { and, asc, desc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import { newId } from '../../common/ids.js';
import type { Db } from '../../infra/database/sql-database.js';
import type { PaymentStatus } from './payments.events.js';
import { paymentEvents, payments, refunds } from './payments.tenant-tables.js';

export type Payment = typeof payments.$inferSelect;
export type PaymentEvent = typeof paymentEvents.$inferSelect;
export type Refund = typeof refunds.$inferSelect;

/** Payment statuses whose checkout can still be paid, and which the expiry job closes. */
export const OPEN_PAYMENT: readonly PaymentStatus[] = ['PENDING', 'FAILED'];

/** Open and not past its due time: the customer may still pay it. */
export function isPayable(payment: Payment, now: Date): boolean {
  return OPEN_PAYMENT.includes(payment.status as PaymentStatus) && new Date(payment.expiresAt) > now;
}

/** Queries on a tenant's payments; each takes the transaction (on the tenant's database) it runs in. */
export const paymentsRepository = {
  async insert(tx: Db, payment: typeof payments.$inferInsert): Promise<Payment> {
    const [row] = await tx.insert(payments).values(payment).returning();
    return row!;
  },

  async find(tx: Db, id: string, forUpdate = false): Promise<Payment | undefined> {
    const query = tx.select().from(payments).where(eq(payments.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async setStatus(tx: Db, id: string, status: PaymentStatus, failureReason?: string): Promise<void> {
    await tx
      .update(payments)
      .set({ status, updatedAt: sql`now()`, ...(failureReason !== undefined ? { failureReason } : {}) })
      .where(eq(payments.id, id));
  },

  /**
   * Closes a checkout only if it is still open: a webhook that marked it SUCCEEDED a moment earlier
   * wins (Postgres re-checks the condition after waiting for that row), and the money is refunded.
   */
  async closeIfOpen(tx: Db, id: string, status: PaymentStatus): Promise<boolean> {
    const closed = await tx
      .update(payments)
      .set({ status, updatedAt: sql`now()` })
      .where(and(eq(payments.id, id), inArray(payments.status, [...OPEN_PAYMENT])))
      .returning({ id: payments.id });
    return closed.length > 0;
  },

  /** Brings the payment's due time forward to `by` (never later): the expiry job then closes it. */
  async dueBy(tx: Db, id: string, by: Date): Promise<void> {
    await tx
      .update(payments)
      .set({ expiresAt: sql`least(${payments.expiresAt}, ${by.toISOString()}::timestamptz)`, updatedAt: sql`now()` })
      .where(eq(payments.id, id));
  },

  /** Keeps the provider's id of a lazily opened checkout; the first one kept stays. */
  async setProviderRef(tx: Db, id: string, providerRef: string): Promise<void> {
    await tx
      .update(payments)
      .set({ providerRef, updatedAt: sql`now()` })
      .where(and(eq(payments.id, id), isNull(payments.providerRef)));
  },

  /** The order's payments, newest first. */
  async forOrder(tx: Db, orderId: string): Promise<Payment[]> {
    return tx
      .select()
      .from(payments)
      .where(eq(payments.orderId, orderId))
      .orderBy(desc(payments.createdAt), desc(payments.id));
  },

  async forOrders(tx: Db, orderIds: readonly string[]): Promise<Payment[]> {
    if (orderIds.length === 0) return [];
    return tx
      .select()
      .from(payments)
      .where(inArray(payments.orderId, [...orderIds]))
      .orderBy(desc(payments.createdAt), desc(payments.id));
  },

  /** Records a payment event; false when this provider event id was recorded before (a duplicate webhook). */
  async recordEvent(tx: Db, event: Omit<typeof paymentEvents.$inferInsert, 'id'>): Promise<boolean> {
    const inserted = await tx
      .insert(paymentEvents)
      .values({ id: newId(), ...event })
      .onConflictDoNothing()
      .returning({ id: paymentEvents.id });
    return inserted.length > 0;
  },

  async setEventOutcome(tx: Db, provider: string, providerEventId: string, outcome: string): Promise<void> {
    await tx
      .update(paymentEvents)
      .set({ outcome })
      .where(and(eq(paymentEvents.provider, provider), eq(paymentEvents.providerEventId, providerEventId)));
  },

  async events(tx: Db, paymentIds: readonly string[]): Promise<PaymentEvent[]> {
    if (paymentIds.length === 0) return [];
    return tx
      .select()
      .from(paymentEvents)
      .where(inArray(paymentEvents.paymentId, [...paymentIds]))
      .orderBy(asc(paymentEvents.at), asc(paymentEvents.id));
  },

  /** Inserts the payment's refund unless it has one; the refund either way. */
  async refundOnce(tx: Db, refund: typeof refunds.$inferInsert): Promise<{ refund: Refund; created: boolean }> {
    const [inserted] = await tx.insert(refunds).values(refund).onConflictDoNothing().returning();
    if (inserted) return { refund: inserted, created: true };
    const [existing] = await tx.select().from(refunds).where(eq(refunds.paymentId, refund.paymentId));
    return { refund: existing!, created: false };
  },

  async findRefund(tx: Db, id: string, forUpdate = false): Promise<Refund | undefined> {
    const query = tx.select().from(refunds).where(eq(refunds.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async completeRefund(tx: Db, id: string, providerRef: string): Promise<void> {
    await tx
      .update(refunds)
      .set({ status: 'SUCCEEDED', providerRef, completedAt: sql`now()` })
      .where(eq(refunds.id, id));
  },

  async refunds(tx: Db, paymentIds: readonly string[]): Promise<Refund[]> {
    if (paymentIds.length === 0) return [];
    return tx
      .select()
      .from(refunds)
      .where(inArray(refunds.paymentId, [...paymentIds]))
      .orderBy(asc(refunds.createdAt));
  },

  /** Orders whose open payment is past its due time, earliest first. */
  async dueOrderIds(tx: Db, now: Date, limit: number): Promise<string[]> {
    const rows = await tx
      .select({ orderId: payments.orderId })
      .from(payments)
      .where(and(inArray(payments.status, [...OPEN_PAYMENT]), lte(payments.expiresAt, now)))
      .orderBy(asc(payments.expiresAt))
      .limit(limit);
    return [...new Set(rows.map((row) => row.orderId))];
  },
};
