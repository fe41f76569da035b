import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, type Clock } from '../../common/clock.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { onlineRefusals } from './availability-rules.js';
import { emitWentOffline } from './driver-offline.js';
import type { DriverView } from './drivers.dto.js';
import { driversRepository, driverView } from './drivers.repository.js';
import {
  cannotGoOnline,
  noDriverProfile,
  onlineLocked,
  vehicleNotFound,
  vehicleNotVerified,
} from './fleet-problems.js';
import { DriverVehicleSelected, DriverWentOnline } from './fleet.events.js';
import { vehiclesRepository } from './vehicles.repository.js';
import { vendorsRepository } from './vendors.repository.js';
import { todayUtc } from './vehicle-rules.js';

/**
 * A driver's active vehicle and availability. `online` and `onlineSince` live on the driver row; the
 * live position index (infra/geo) and matching are dispatch's business.
 *
 * Locks: the driver row first, then (going online) the vendor and the vehicle `for share`. Whatever
 * suspends a vendor or a vehicle locks that row for update and then takes its online drivers offline,
 * so a driver going online at the same moment either waits and sees the suspension, or is online
 * before it and is taken offline by it. Neither side waits for the other's second lock while the
 * driver is offline, so the two cannot deadlock.
 */
@Injectable()
export class DriverAvailabilityService {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /** Selects one of the driver's own VERIFIED vehicles; refused while online (go offline first). */
  async selectVehicle(userId: string, vehicleId: string): Promise<DriverView> {
    const driver = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await driversRepository.findByUser(tx, userId, true);
      if (!before) throw noDriverProfile();
      if (before.online) throw onlineLocked();
      const vehicle = await vehiclesRepository.find(tx, vehicleId, { driverId: before.id, lock: 'share' });
      if (!vehicle) throw vehicleNotFound(vehicleId);
      if (vehicle.status !== 'VERIFIED') throw vehicleNotVerified(vehicle.plate, vehicle.status);
      if (before.activeVehicleId === vehicleId) return before;
      const after = await driversRepository.update(tx, before.id, { activeVehicleId: vehicleId });
      await emit(DriverVehicleSelected, {
        aggregateId: before.id,
        payload: {
          userId,
          before: { activeVehicleId: before.activeVehicleId },
          after: { activeVehicleId: vehicleId },
        },
      });
      return after;
    });
    return driverView(driver);
  }

  /**
   * Going online checks every rule (onlineRefusals) and refuses with all failed reasons at once;
   * already online is a no-op (everything that disqualifies a driver takes them offline in its own
   * transaction). Going offline always works; already offline is a no-op.
   */
  async setAvailability(userId: string, online: boolean): Promise<DriverView> {
    const driver = await this.unitOfWork.run(this.control, async (tx, emit) => {
      const before = await driversRepository.findByUser(tx, userId, true);
      if (!before) throw noDriverProfile();
      if (before.online === online) return before;
      if (!online) {
        const after = await driversRepository.update(tx, before.id, { online: false, onlineSince: null });
        await emitWentOffline(emit, before, 'driver');
        return after;
      }
      const vendor = (await vendorsRepository.find(tx, before.vendorId, 'share'))!;
      const vehicle = before.activeVehicleId
        ? ((await vehiclesRepository.find(tx, before.activeVehicleId, { lock: 'share' })) ?? null)
        : null;
      const onlineSince = this.clock.now();
      const refusals = onlineRefusals({ driver: before, vehicle, vendor }, todayUtc(onlineSince));
      if (refusals.length > 0) throw cannotGoOnline(refusals);
      const after = await driversRepository.update(tx, before.id, { online: true, onlineSince });
      await emit(DriverWentOnline, {
        aggregateId: before.id,
        payload: {
          userId,
          vehicleId: vehicle!.id,
          before: { online: false },
          after: { online: true, onlineSince: onlineSince.toISOString() },
        },
      });
      return after;
    });
    return driverView(driver);
  }
}
