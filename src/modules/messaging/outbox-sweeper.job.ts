import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { ENV } from '../../config/config.module.js';
import type { Env } from '../../config/env.schema.js';
import { BusUnavailable } from '../../infra/bus/bus.port.js';
import { OutboxRelay } from '../../infra/bus/outbox-relay.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';

/** Rows younger than this are left to the relay kicked by their own commit. */
const LEFTOVER_AGE_MS = 3_000;

/**
 * Publishes outbox rows that a crash or a broker outage left behind: the control database on every run,
 * tenant databases round-robin, a slice per run. A slice (half the tenant pool budget) keeps one sweep
 * from cycling every tenant pool through the LRU and evicting the pools live requests are using; with
 * many tenants a leftover waits a few runs longer, which only matters after a crash.
 */
@Injectable()
@Scheduled({ name: 'outbox-sweeper', everyMs: (env) => env.OUTBOX_SWEEP_INTERVAL_MS })
export class OutboxSweeperJob implements ScheduledJob {
  private cursor = 0;
  private readonly slice: number;

  constructor(
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(TENANT_DATABASES) private readonly tenants: TenantDatabases,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(ENV) env: Env,
  ) {
    this.slice = Math.max(1, Math.floor(env.TENANT_POOL_MAX_OPEN / 2));
  }

  async run(): Promise<void> {
    let published: number;
    try {
      published = await this.relay.sweep(this.control, LEFTOVER_AGE_MS);
    } catch (error) {
      // A broker outage: the bus logs it once per window, and the next run tries again.
      if (error instanceof BusUnavailable) return;
      throw error;
    }
    for (const { code } of this.nextSlice(await this.tenants.list())) {
      try {
        published += await this.relay.sweep(await this.tenants.forTenant(code), LEFTOVER_AGE_MS);
      } catch (error) {
        if (error instanceof BusUnavailable) return;
        this.log.warn({ err: error, tenant: code }, 'could not sweep a tenant outbox');
      }
    }
    if (published > 0) this.log.info({ published }, 'outbox sweeper published leftover events');
  }

  private nextSlice<T>(all: T[]): T[] {
    if (all.length <= this.slice) return all;
    const start = this.cursor % all.length;
    this.cursor = start + this.slice;
    return [...all.slice(start, start + this.slice), ...all.slice(0, Math.max(0, start + this.slice - all.length))];
  }
}
