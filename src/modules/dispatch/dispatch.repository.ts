import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { dispatchJobs, dispatchOffers } from './dispatch.tables.js';

export type Job = typeof dispatchJobs.$inferSelect;
export type Offer = typeof dispatchOffers.$inferSelect;

/** Queries on dispatch's tables (control database); each takes the transaction it runs in. */
export const dispatchRepository = {
  /** Inserts the job unless its order has one already; the job either way. */
  async jobOnce(tx: Db, job: typeof dispatchJobs.$inferInsert): Promise<Job> {
    const [inserted] = await tx.insert(dispatchJobs).values(job).onConflictDoNothing().returning();
    if (inserted) return inserted;
    return (await this.jobOfOrder(tx, job.tenant, job.orderId, true))!;
  },

  async job(tx: Db, id: string, forUpdate = false): Promise<Job | undefined> {
    const query = tx.select().from(dispatchJobs).where(eq(dispatchJobs.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async jobOfOrder(tx: Db, tenant: string, orderId: string, forUpdate = false): Promise<Job | undefined> {
    const query = tx
      .select()
      .from(dispatchJobs)
      .where(and(eq(dispatchJobs.tenant, tenant), eq(dispatchJobs.orderId, orderId)));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async updateJob(tx: Db, id: string, changes: Partial<typeof dispatchJobs.$inferInsert>): Promise<Job> {
    const [row] = await tx
      .update(dispatchJobs)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(dispatchJobs.id, id))
      .returning();
    return row!;
  },

  /** Drivers this job was offered to, whatever they answered: never offered twice. */
  async offeredDrivers(tx: Db, jobId: string): Promise<Set<string>> {
    const rows = await tx
      .select({ driverId: dispatchOffers.driverId })
      .from(dispatchOffers)
      .where(eq(dispatchOffers.jobId, jobId));
    return new Set(rows.map((row) => row.driverId));
  },

  /** Of `driverIds`, those busy: serving a job, or holding an open offer. */
  async busyDrivers(tx: Db, driverIds: readonly string[]): Promise<Set<string>> {
    if (driverIds.length === 0) return new Set();
    const serving = await tx
      .select({ driverId: dispatchJobs.driverId })
      .from(dispatchJobs)
      .where(
        and(inArray(dispatchJobs.driverId, [...driverIds]), inArray(dispatchJobs.status, ['ASSIGNED', 'PICKED_UP'])),
      );
    const offered = await tx
      .select({ driverId: dispatchOffers.driverId })
      .from(dispatchOffers)
      .where(and(inArray(dispatchOffers.driverId, [...driverIds]), eq(dispatchOffers.status, 'PENDING')));
    return new Set([...serving, ...offered].map((row) => row.driverId!));
  },

  /** Inserts an open offer; undefined if the driver got another open offer meanwhile (unique index). */
  async offer(tx: Db, offer: typeof dispatchOffers.$inferInsert): Promise<Offer | undefined> {
    const [row] = await tx.insert(dispatchOffers).values(offer).onConflictDoNothing().returning();
    return row;
  },

  async findOffer(tx: Db, id: string, forUpdate = false): Promise<Offer | undefined> {
    const query = tx.select().from(dispatchOffers).where(eq(dispatchOffers.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async closeOffer(tx: Db, id: string, status: Offer['status']): Promise<void> {
    await tx
      .update(dispatchOffers)
      .set({ status, respondedAt: sql`now()` })
      .where(eq(dispatchOffers.id, id));
  },

  async openOfferOfJob(tx: Db, jobId: string): Promise<Offer | undefined> {
    const [row] = await tx
      .select()
      .from(dispatchOffers)
      .where(and(eq(dispatchOffers.jobId, jobId), eq(dispatchOffers.status, 'PENDING')))
      .for('update');
    return row;
  },

  async openOffersOf(tx: Db, driverId: string): Promise<{ offer: Offer; job: Job }[]> {
    return tx
      .select({ offer: dispatchOffers, job: dispatchJobs })
      .from(dispatchOffers)
      .innerJoin(dispatchJobs, eq(dispatchJobs.id, dispatchOffers.jobId))
      .where(and(eq(dispatchOffers.driverId, driverId), eq(dispatchOffers.status, 'PENDING')))
      .orderBy(asc(dispatchOffers.createdAt));
  },

  /** Open offers due by `now` (not locked: the caller locks each job, then its offer, and re-checks). */
  async dueOffers(tx: Db, now: Date, limit: number): Promise<Offer[]> {
    return tx
      .select()
      .from(dispatchOffers)
      .where(and(eq(dispatchOffers.status, 'PENDING'), lte(dispatchOffers.expiresAt, now)))
      .orderBy(asc(dispatchOffers.expiresAt))
      .limit(limit);
  },

  /** Jobs whose next search round is due by `now`, claimed. */
  async dueSearches(tx: Db, now: Date, limit: number): Promise<Job[]> {
    return tx
      .select()
      .from(dispatchJobs)
      .where(and(eq(dispatchJobs.status, 'SEARCHING'), lte(dispatchJobs.nextSearchAt, now)))
      .orderBy(asc(dispatchJobs.nextSearchAt))
      .limit(limit)
      .for('update', { skipLocked: true });
  },
};
