import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import type { VehicleStatus } from './fleet-states.js';
import { vehicles } from './fleet.tables.js';
import type { VehicleClass } from './vehicle-classes.js';
import type { VehicleView } from './vehicles.dto.js';

export type Vehicle = typeof vehicles.$inferSelect;
export type NewVehicle = typeof vehicles.$inferInsert;

const live = isNull(vehicles.deletedAt);

/** Queries on vehicles that are not deleted (a deleted vehicle is not found). */
export const vehiclesRepository = {
  /** With `driverId`, only that driver's vehicle: someone else's is simply not found. */
  async find(
    tx: Db,
    id: string,
    options: { driverId?: string; lock?: 'update' | 'share' } = {},
  ): Promise<Vehicle | undefined> {
    const query = tx
      .select()
      .from(vehicles)
      .where(and(eq(vehicles.id, id), live, options.driverId ? eq(vehicles.driverId, options.driverId) : undefined));
    const [row] = options.lock ? await query.for(options.lock) : await query;
    return row;
  },

  async insert(tx: Db, vehicle: NewVehicle): Promise<Vehicle> {
    const [created] = await tx.insert(vehicles).values(vehicle).returning();
    return created!;
  },

  async update(tx: Db, id: string, changes: Partial<NewVehicle>): Promise<Vehicle> {
    const [updated] = await tx
      .update(vehicles)
      .set({ ...changes, updatedAt: sql`now()` })
      .where(eq(vehicles.id, id))
      .returning();
    return updated!;
  },

  /**
   * Verified vehicles whose first document expired before `today`, claimed (`for update skip locked`)
   * so two runs never suspend the same vehicle twice.
   */
  async claimExpired(tx: Db, today: string, limit: number): Promise<Vehicle[]> {
    return tx
      .select()
      .from(vehicles)
      .where(
        and(
          eq(vehicles.status, 'VERIFIED'),
          live,
          sql`least(${vehicles.insuranceExpiry}, ${vehicles.inspectionExpiry}) < ${today}::date`,
        ),
      )
      .orderBy(vehicles.id)
      .limit(limit)
      .for('update', { skipLocked: true });
  },

  /** Vehicles, oldest first. */
  async page(
    tx: Db,
    filter: { driverId?: string; ownerId?: string; status?: VehicleStatus; class?: VehicleClass },
    limit: number,
    offset: number,
  ): Promise<{ rows: Vehicle[]; total: number }> {
    const where = and(
      live,
      filter.ownerId ? eq(vehicles.driverId, filter.ownerId) : undefined,
      filter.driverId ? eq(vehicles.driverId, filter.driverId) : undefined,
      filter.status ? eq(vehicles.status, filter.status) : undefined,
      filter.class ? eq(vehicles.class, filter.class) : undefined,
    );
    const rows = await tx
      .select()
      .from(vehicles)
      .where(where)
      .orderBy(vehicles.createdAt, vehicles.id)
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(vehicles)
      .where(where);
    return { rows, total: Number(count?.total ?? 0) };
  },
};

export function vehicleView(vehicle: Vehicle): VehicleView {
  return {
    id: vehicle.id,
    driverId: vehicle.driverId,
    plate: vehicle.plate,
    make: vehicle.make,
    model: vehicle.model,
    year: vehicle.year,
    class: vehicle.class,
    capacity: vehicle.capacity,
    documents: { insuranceExpiry: vehicle.insuranceExpiry, inspectionExpiry: vehicle.inspectionExpiry },
    status: vehicle.status,
    rejectionReasons: vehicle.rejectionReasons,
    verifiedAt: vehicle.verifiedAt === null ? null : new Date(vehicle.verifiedAt).toISOString(),
    createdAt: new Date(vehicle.createdAt).toISOString(),
    updatedAt: new Date(vehicle.updatedAt).toISOString(),
  };
}

export function summarizeVehicle(vehicle: Vehicle) {
  return {
    driverId: vehicle.driverId,
    plate: vehicle.plate,
    make: vehicle.make,
    model: vehicle.model,
    year: vehicle.year,
    class: vehicle.class,
    capacity: vehicle.capacity,
    insuranceExpiry: vehicle.insuranceExpiry,
    inspectionExpiry: vehicle.inspectionExpiry,
    status: vehicle.status,
  };
}
