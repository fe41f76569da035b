import { Inject, Injectable } from '@nestjs/common';
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { CLOCK, type Clock } from '../../common/clock.js';
import { UnitOfWork } from '../../infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';
import { takeDriversOffline } from './driver-offline.js';
import { VehicleSuspended } from './fleet.events.js';
import { drivers } from './fleet.tables.js';
import { expiredDocuments, todayUtc } from './vehicle-rules.js';
import { vehiclesRepository } from './vehicles.repository.js';

/** Rows per transaction: a long backlog is worked through in short transactions. */
const BATCH = 100;

/**
 * Hourly rather than daily: documents expire by the day, and a scheduler restarting (a deploy) more
 * often than the interval would otherwise never reach a run. Each run only touches rows that are due.
 */
const EVERY_MS = 60 * 60 * 1000;

export interface ExpirySweep {
  vehiclesSuspended: number;
  driversTakenOffline: number;
}

/**
 * Document and licence expiry (DESIGN §3, §8). VERIFIED vehicles with an expired insurance or
 * inspection become SUSPENDED (`vehicle.suspended`, the expired documents as `rejectionReasons`) and
 * their drivers go offline; online drivers whose licence expired go offline. Due rows are claimed in
 * SQL with `for update skip locked`, in batches, so a second scheduler (or a manual run) never
 * handles a row twice and a leader change loses nothing. New documents resubmit a suspended vehicle.
 */
@Injectable()
@Scheduled({ name: 'vehicle-document-expiry', everyMs: EVERY_MS })
export class VehicleDocumentExpiryJob implements ScheduledJob {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(UnitOfWork) private readonly unitOfWork: UnitOfWork,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    const swept = await this.sweep(todayUtc(this.clock.now()));
    if (swept.vehiclesSuspended + swept.driversTakenOffline > 0) this.log.info(swept, 'fleet documents expired');
  }

  /** One pass as of `today` (`YYYY-MM-DD`, UTC): anything valid only through an earlier day has expired. */
  async sweep(today: string): Promise<ExpirySweep> {
    const swept: ExpirySweep = { vehiclesSuspended: 0, driversTakenOffline: 0 };
    for (;;) {
      const batch = await this.unitOfWork.run(this.control, async (tx, emit) => {
        const due = await vehiclesRepository.claimExpired(tx, today, BATCH);
        let driversTakenOffline = 0;
        for (const vehicle of due) {
          const reasons = expiredDocuments(vehicle, today);
          await vehiclesRepository.update(tx, vehicle.id, { status: 'SUSPENDED', rejectionReasons: reasons });
          await emit(VehicleSuspended, {
            aggregateId: vehicle.id,
            payload: {
              vehicleId: vehicle.id,
              driverId: vehicle.driverId,
              before: { status: 'VERIFIED' },
              after: { status: 'SUSPENDED', rejectionReasons: reasons },
            },
          });
          const offline = await takeDriversOffline(
            tx,
            emit,
            eq(drivers.activeVehicleId, vehicle.id),
            'vehicle_suspended',
          );
          driversTakenOffline += offline.length;
        }
        return { vehicles: due.length, drivers: driversTakenOffline };
      });
      swept.vehiclesSuspended += batch.vehicles;
      swept.driversTakenOffline += batch.drivers;
      if (batch.vehicles < BATCH) break;
    }
    for (;;) {
      const offline = await this.unitOfWork.run(this.control, async (tx, emit) => {
        const taken = await takeDriversOffline(
          tx,
          emit,
          sql`${drivers.licenceExpiry} < ${today}::date`,
          'licence_expired',
          { limit: BATCH },
        );
        return taken.length;
      });
      swept.driversTakenOffline += offline;
      if (offline < BATCH) break;
    }
    return swept;
  }
}
