import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import type { Logger } from 'pino';
import { LOGGER } from '../../infra/logging/logger.js';
import { Scheduled, type ScheduledJob } from '../../infra/scheduling/scheduled-job.js';

/**
 * Deletes published outbox rows after 7 days and inbox marks after 30: long past any redelivery a
 * broker could still make, so dedupe stays intact while the tables stay small.
 */
@Injectable()
@Scheduled({ name: 'messaging-retention', everyMs: 60 * 60 * 1000 })
export class MessagingRetentionJob implements ScheduledJob {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(TENANT_DATABASES) private readonly tenants: TenantDatabases,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  async run(): Promise<void> {
    await this.prune(this.control);
    for (const { code } of await this.tenants.list()) {
      // One broken tenant (say, provisioning failed half way) must not stop the others being pruned.
      try {
        await this.prune(await this.tenants.forTenant(code));
      } catch (error) {
        this.log.warn({ err: error, tenant: code }, 'could not prune a tenant outbox/inbox');
      }
    }
    // PGlite has no autovacuum: reclaim the dead rows queue and outbox churn leaves behind.
    if (this.control.kind === 'pglite') await this.control.query(sql`vacuum bus_messages, outbox, inbox`);
  }

  private async prune(database: SqlDatabase): Promise<void> {
    await database.query(sql`delete from outbox where published_at < now() - interval '7 days'`);
    await database.query(sql`delete from inbox where handled_at < now() - interval '30 days'`);
  }
}
