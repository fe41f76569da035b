import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { OutboxRelay } from '../../infra/bus/outbox-relay.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { LOGGER } from '../../infra/logging/logger.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';

/** Rows younger than this are left to the relay kicked by their own commit. */
const LEFTOVER_AGE_MS = 3_000;

/** Publishes outbox rows that a crash or a broker outage left behind, in the control and every tenant database. */
@Injectable()
@Scheduled({ name: 'outbox-sweeper', everyMs: (env) => env.OUTBOX_SWEEP_INTERVAL_MS })
export class OutboxSweeperJob implements ScheduledJob {
  constructor(
    @Inject(OutboxRelay) private readonly relay: OutboxRelay,
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(TENANT_DATABASES) private readonly tenants: TenantDatabases,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    let published = await this.relay.sweep(this.control, LEFTOVER_AGE_MS);
    for (const { code } of await this.tenants.list()) {
      try {
        published += await this.relay.sweep(await this.tenants.forTenant(code), LEFTOVER_AGE_MS);
      } catch (error) {
        this.log.warn({ err: error, tenant: code }, 'could not sweep a tenant outbox');
      }
    }
    if (published > 0) this.log.info({ published }, 'outbox sweeper published leftover events');
  }
}
