import { and, eq, gte, inArray, isNull } from 'drizzle-orm';
import type { Db } from '../../infra/database/sql-database.js';
import { drivers, vehicles, vendors } from './fleet.tables.js';
import { VEHICLE_CLASSES, vehicleServes, type ServiceRequest, type VehicleClass } from './vehicle-classes.js';

export interface DispatchableDriver {
  driverId: string;
  userId: string;
  name: string;
  vehicle: { id: string; plate: string; model: string; class: VehicleClass };
}

/**
 * Of `driverIds`, the drivers who may take a job on `today` (DESIGN §8): online, licence verified and
 * unexpired, vendor active, and driving a verified vehicle whose class serves the request. Whether
 * they are busy is dispatch's business (its own tables); this is only the fleet's side. Their names
 * are the users module's: `FleetDrivers.dispatchable` adds them.
 */
export async function qualifiedDrivers(
  tx: Db,
  driverIds: readonly string[],
  request: ServiceRequest,
  today: string,
): Promise<Omit<DispatchableDriver, 'name'>[]> {
  if (driverIds.length === 0) return [];
  const classes = VEHICLE_CLASSES.filter((vehicleClass) => vehicleServes(vehicleClass, request));
  const rows = await tx
    .select({
      driverId: drivers.id,
      userId: drivers.userId,
      vehicleId: vehicles.id,
      plate: vehicles.plate,
      make: vehicles.make,
      model: vehicles.model,
      class: vehicles.class,
    })
    .from(drivers)
    .innerJoin(vehicles, eq(vehicles.id, drivers.activeVehicleId))
    .innerJoin(vendors, eq(vendors.id, drivers.vendorId))
    .where(
      and(
        inArray(drivers.id, [...driverIds]),
        eq(drivers.online, true),
        eq(drivers.status, 'VERIFIED'),
        gte(drivers.licenceExpiry, today),
        eq(vehicles.status, 'VERIFIED'),
        isNull(vehicles.deletedAt),
        inArray(vehicles.class, classes),
        eq(vendors.status, 'ACTIVE'),
      ),
    );
  return rows.map((row) => ({
    driverId: row.driverId,
    userId: row.userId,
    vehicle: { id: row.vehicleId, plate: row.plate, model: `${row.make} ${row.model}`, class: row.class },
  }));
}
