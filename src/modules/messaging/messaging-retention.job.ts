import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
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
  ) {}

  async run(): Promise<void> {
    const databases = [this.control];
    for (const { code } of await this.tenants.list()) databases.push(await this.tenants.forTenant(code));
    for (const database of databases) {
      await database.query(sql`delete from outbox where published_at < now() - interval '7 days'`);
      await database.query(sql`delete from inbox where handled_at < now() - interval '30 days'`);
    }
    // PGlite has no autovacuum: reclaim the dead rows queue and outbox churn leaves behind.
    if (this.control.kind === 'pglite') await this.control.query(sql`vacuum bus_messages, outbox, inbox`);
  }
}
