import { Inject, Injectable } from '@nestjs/common';
import { and, inArray, lt } from 'drizzle-orm';
import { CLOCK, type Clock } from '../../common/clock.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type Db, type SqlDatabase } from '../../infra/database/sql-database.js';
import { Accounts } from '../users/accounts.js';
import { qualifiedDrivers, type DispatchableDriver } from './dispatchable-drivers.js';
import { takeDriversOffline } from './driver-offline.js';
import { driversRepository } from './drivers.repository.js';
import type { OfflineReason } from './fleet.events.js';
import { drivers } from './fleet.tables.js';
import type { ServiceRequest } from './vehicle-classes.js';
import { vehiclesRepository } from './vehicles.repository.js';
import { todayUtc } from './vehicle-rules.js';

/** A driver as other modules see one. */
export interface FleetDriver {
  id: string;
  userId: string;
  online: boolean;
}

/**
 * The fleet's face for dispatch and tracking: who drives, who may take a job right now, and taking
 * silent drivers offline, so neither reads or writes the fleet's tables. Methods that take `tx` run
 * in the caller's transaction (dispatch decides and records an offer or an assignment in one).
 */
@Injectable()
export class FleetDrivers {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(Accounts) private readonly accounts: Accounts,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  /**
   * Of `driverIds`, those who may take a job serving `request` right now (see `qualifiedDrivers`),
   * by driver id, with their names (the users module's) and vehicles.
   */
  async dispatchable(
    tx: Db,
    driverIds: readonly string[],
    request: ServiceRequest,
  ): Promise<Map<string, DispatchableDriver>> {
    const qualified = await qualifiedDrivers(tx, driverIds, request, todayUtc(this.clock.now()));
    const names = await this.accounts.namesOf(
      tx,
      qualified.map((driver) => driver.userId),
    );
    return new Map(
      qualified.flatMap((driver) => {
        const name = names.get(driver.userId);
        return name === undefined ? [] : [[driver.driverId, { ...driver, name }] as const];
      }),
    );
  }

  async find(tx: Db, driverId: string): Promise<FleetDriver | undefined> {
    return fleetDriver(await driversRepository.find(tx, driverId));
  }

  /** The user's driver profile, if they registered as a driver. */
  async ofUser(tx: Db, userId: string): Promise<FleetDriver | undefined> {
    return fleetDriver(await driversRepository.findByUser(tx, userId));
  }

  /** Like `ofUser`, in one statement outside any transaction: the hot path of every position report. */
  async presenceOf(userId: string): Promise<Omit<FleetDriver, 'userId'> | undefined> {
    return driversRepository.presenceOf(this.control, userId);
  }

  /** A vehicle that is not deleted; with `ownerUserId`, only if it is that user's (as a driver). */
  async findVehicle(
    tx: Db,
    vehicleId: string,
    ownerUserId?: string,
  ): Promise<{ id: string; driverId: string } | undefined> {
    if (ownerUserId === undefined) return vehiclesRepository.find(tx, vehicleId);
    const owner = await driversRepository.findByUser(tx, ownerUserId);
    return owner && vehiclesRepository.find(tx, vehicleId, { driverId: owner.id });
  }

  /** Ids of the drivers online since before `cutoff`, `limit` of them in id order after `after`. */
  onlineSinceBefore(cutoff: Date, after: string | undefined, limit: number): Promise<string[]> {
    return this.control.transaction((tx) => driversRepository.onlineSinceBefore(tx, cutoff, after, limit));
  }

  /**
   * Takes these drivers offline, with `driver.went_offline` and `reason` for each, in a transaction
   * of its own; returns the ids of those it took. Each driver is re-checked under its row lock: one
   * no longer online, or online again since `onlineBefore` or later, stays as they are, and one
   * whose row another transaction holds is skipped (left for a later call).
   */
  async takeOffline(driverIds: readonly string[], reason: OfflineReason, onlineBefore: Date): Promise<string[]> {
    if (driverIds.length === 0) return [];
    const chosen = and(inArray(drivers.id, [...driverIds]), lt(drivers.onlineSince, onlineBefore))!;
    const taken = await this.unitOfWork.run(this.control, (tx, emit) =>
      takeDriversOffline(tx, emit, chosen, reason, { limit: driverIds.length }),
    );
    return taken.map((driver) => driver.id);
  }
}

function fleetDriver(driver: FleetDriver | undefined): FleetDriver | undefined {
  return driver && { id: driver.id, userId: driver.userId, online: driver.online };
}
