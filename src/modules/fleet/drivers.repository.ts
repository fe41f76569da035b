import { and, asc, eq, gt, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db, SqlDatabase } from '../../infra/database/sql-database.js';
import type { DriverStatus } from './fleet-states.js';
import { drivers } from './fleet.tables.js';
import type { DriverView } from './drivers.dto.js';

export type Driver = typeof drivers.$inferSelect;
export type NewDriver = typeof drivers.$inferInsert;

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export const driversRepository = {
  async find(tx: Db, id: string, forUpdate = false): Promise<Driver | undefined> {
    const query = tx.select().from(drivers).where(eq(drivers.id, id));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  async findByUser(tx: Db, userId: string, forUpdate = false): Promise<Driver | undefined> {
    const query = tx.select().from(drivers).where(eq(drivers.userId, userId));
    const [row] = forUpdate ? await query.for('update') : await query;
    return row;
  },

  /**
   * The user's driver id and online flag in one statement outside any transaction: every position
   * report asks, so it costs one round trip.
   */
  async presenceOf(db: SqlDatabase, userId: string): Promise<{ id: string; online: boolean } | undefined> {
    const [row] = await db.query<{ id: string; online: boolean }>(
      sql`select ${drivers.id} as id, ${drivers.online} as online from ${drivers} where ${drivers.userId} = ${userId}`,
    );
    return row;
  },

  /** Ids of the drivers online since before `cutoff`, in id order after `after`. */
  async onlineSinceBefore(tx: Db, cutoff: Date, after: string | undefined, limit: number): Promise<string[]> {
    const rows = await tx
      .select({ id: drivers.id })
      .from(drivers)
      .where(and(eq(drivers.online, true), lt(drivers.onlineSince, cutoff), after ? gt(drivers.id, after) : undefined))
      .orderBy(asc(drivers.id))
      .limit(limit);
    return rows.map((row) => row.id);
  },

  async insert(tx: Db, driver: NewDriver): Promise<Driver> {
    const [created] = await tx.insert(drivers).values(driver).returning();
    return created!;
  },

  async update(tx: Db, id: string, changes: Partial<NewDriver>): Promise<Driver> {
    const [updated] = await tx
      .update(drivers)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(drivers.id, id))
      .returning();
    return updated!;
  },

  /**
   * Takes the matching online drivers offline and returns them as they were. The rows are locked
   * first and the condition re-checked on the newest version of each, so a driver who went online
   * concurrently either committed first (and is taken offline here) or waits and then sees what this
   * transaction changed. `claim` (the expiry job) takes at most `limit` rows, skipping locked ones.
   */
  async takeOffline(tx: Db, where: SQL, claim?: { limit: number }): Promise<Driver[]> {
    const query = tx
      .select()
      .from(drivers)
      .where(and(eq(drivers.online, true), where))
      .orderBy(drivers.id);
    const before = claim
      ? await query.limit(claim.limit).for('update', { skipLocked: true })
      : await query.for('update');
    if (before.length > 0) {
      await tx
        .update(drivers)
        .set({ online: false, onlineSince: null, updatedAt: sql`now()` })
        .where(
          inArray(
            drivers.id,
            before.map((driver) => driver.id),
          ),
        );
    }
    return before;
  },

  async vendorHasDrivers(tx: Db, vendorId: string): Promise<boolean> {
    const [row] = await tx.select({ id: drivers.id }).from(drivers).where(eq(drivers.vendorId, vendorId)).limit(1);
    return row !== undefined;
  },

  /** Drivers, oldest registration first. */
  async page(
    tx: Db,
    filter: { status?: DriverStatus; vendorId?: string },
    limit: number,
    offset: number,
  ): Promise<{ rows: Driver[]; total: number }> {
    const where = and(
      filter.status ? eq(drivers.status, filter.status) : undefined,
      filter.vendorId ? eq(drivers.vendorId, filter.vendorId) : undefined,
    );
    const rows = await tx
      .select()
      .from(drivers)
      .where(where)
      .orderBy(drivers.createdAt, drivers.id)
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(drivers)
      .where(where);
    return { rows, total: Number(count?.total ?? 0) };
  },
};

export function driverView(driver: Driver): DriverView {
  return {
    id: driver.id,
    userId: driver.userId,
    vendorId: driver.vendorId,
    licenceNumber: driver.licenceNumber,
    licenceClass: driver.licenceClass,
    licenceExpiry: driver.licenceExpiry,
    phone: driver.phone,
    status: driver.status,
    rejectionReason: driver.rejectionReason,
    verifiedAt: iso(driver.verifiedAt),
    activeVehicleId: driver.activeVehicleId,
    online: driver.online,
    onlineSince: iso(driver.onlineSince),
    createdAt: iso(driver.createdAt)!,
    updatedAt: iso(driver.updatedAt)!,
  };
}

export function summarizeDriver(driver: Driver) {
  return {
    userId: driver.userId,
    vendorId: driver.vendorId,
    licenceNumber: driver.licenceNumber,
    licenceClass: driver.licenceClass,
    licenceExpiry: driver.licenceExpiry,
    phone: driver.phone,
    status: driver.status,
  };
}
