import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { CLOCK, fromNow, type Clock } from '../../common/clock.js';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { GEO_INDEX, type GeoIndexPort } from '../../infra/geo/geo.port.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';
import { FleetDrivers } from '../fleet/fleet-drivers.js';
import { driverPositionsRepository } from './driver-positions.repository.js';

/** Drivers per index read, database page and transaction. */
const BATCH = 200;
/** Index pages per run at most; a larger backlog waits for the next run. */
const MAX_ROUNDS = 50;

/**
 * Online drivers who stopped reporting (DESIGN §3 "stale drivers") are taken offline, through
 * `FleetDrivers.takeOffline` with reason `silent`, so `driver.went_offline` tells everyone as usual.
 * Silent since `cutoff` (now − DRIVER_SILENT_MINUTES) means online since before it and no fix since
 * it: either the live index holds an older fix (its stale entries), or the index holds nothing and
 * no persisted fix is newer (never reported since going online, or the index lost its data). Stale
 * index entries are removed with a compare-and-delete, so a driver who reports between the read and
 * the removal stays. Every run works from the index and the database alone, so a change of leader
 * loses nothing.
 */
@Injectable()
@Scheduled({ name: 'silent-drivers', everyMs: 30_000 })
export class SilentDriversJob implements ScheduledJob {
  constructor(
    @Inject(ENV) private readonly env: Env,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(GEO_INDEX) private readonly geo: GeoIndexPort,
    @Inject(FleetDrivers) private readonly fleet: FleetDrivers,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    const cutoff = fromNow(this.clock, -this.env.DRIVER_SILENT_MINUTES * 60_000);
    const taken = await this.sweep(cutoff);
    if (taken.length > 0) this.log.info({ drivers: taken.length, cutoff }, 'silent drivers taken offline');
  }

  /** One pass: takes the drivers silent since `cutoff` offline; returns the ids of those it took. */
  async sweep(cutoff: Date): Promise<string[]> {
    const silent = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const stale = await this.geo.staleSince(cutoff, BATCH);
      for (const driverId of stale) {
        if (await this.geo.remove(driverId, { seenBefore: cutoff })) silent.add(driverId);
      }
      if (stale.length < BATCH) break;
    }
    for (let after: string | undefined; ;) {
      const page = await this.fleet.onlineSinceBefore(cutoff, after, BATCH);
      const reported = await driverPositionsRepository.reportedSince(this.control, page, cutoff);
      for (const driverId of page) {
        if (reported.has(driverId)) continue;
        // The persisted row trails the index by up to DRIVER_POSITION_PERSIST_MS: the index decides.
        const live = await this.geo.position(driverId);
        if (!live || live.at < cutoff) silent.add(driverId);
      }
      if (page.length < BATCH) break;
      after = page.at(-1);
    }
    const taken: string[] = [];
    const ids = [...silent];
    for (let start = 0; start < ids.length; start += BATCH) {
      const chunk = ids.slice(start, start + BATCH);
      // Re-checked under the row lock: a driver who went offline and back online meanwhile is online
      // since after the cutoff and stays. Locked rows are skipped, left for the next run.
      const offline = await this.fleet.takeOffline(chunk, 'silent', cutoff);
      taken.push(...offline);
    }
    return taken;
  }
}
