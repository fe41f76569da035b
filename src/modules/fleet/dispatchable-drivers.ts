import { and, eq, gte, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { users } from '../users/users.tables.js';
import { drivers, vehicles, vendors } from './fleet.tables.js';
import { VEHICLE_CLASSES, vehicleServes, type ServiceRequest, type VehicleClass } from './vehicle-classes.js';

export interface DispatchableDriver {
  driverId: string;
  userId: string;
  name: string;
  vehicle: { id: string; plate: string; model: string; class: VehicleClass };
}

/**
 * Of `driverIds`, the drivers who may take a job right now (DESIGN §8): online, licence verified and
 * unexpired, vendor active, and driving a verified vehicle whose class serves the request. Whether
 * they are busy is dispatch's business (its own tables); this is only the fleet's side.
 */
export async function dispatchableDrivers(
  tx: Db,
  driverIds: readonly string[],
  request: ServiceRequest,
): Promise<Map<string, DispatchableDriver>> {
  if (driverIds.length === 0) return new Map();
  const classes = VEHICLE_CLASSES.filter((vehicleClass) => vehicleServes(vehicleClass, request));
  const rows = await tx
    .select({
      driverId: drivers.id,
      userId: drivers.userId,
      name: users.name,
      vehicleId: vehicles.id,
      plate: vehicles.plate,
      make: vehicles.make,
      model: vehicles.model,
      class: vehicles.class,
    })
    .from(drivers)
    .innerJoin(vehicles, eq(vehicles.id, drivers.activeVehicleId))
    .innerJoin(vendors, eq(vendors.id, drivers.vendorId))
    .innerJoin(users, eq(users.id, drivers.userId))
    .where(
      and(
        inArray(drivers.id, [...driverIds]),
        eq(drivers.online, true),
        eq(drivers.status, 'VERIFIED'),
        gte(drivers.licenceExpiry, sql`current_date`),
        eq(vehicles.status, 'VERIFIED'),
        isNull(vehicles.deletedAt),
        inArray(vehicles.class, classes),
        eq(vendors.status, 'ACTIVE'),
      ),
    );
  return new Map(
    rows.map((row) => [
      row.driverId,
      {
        driverId: row.driverId,
        userId: row.userId,
        name: row.name,
        vehicle: { id: row.vehicleId, plate: row.plate, model: `${row.make} ${row.model}`, class: row.class },
      },
    ]),
  );
}
