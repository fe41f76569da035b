import { Inject, Injectable } from '@nestjs/common';
import { and, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { auditLog } from './audit.tables.js';

export type AuditEntry = typeof auditLog.$inferSelect;

export interface AuditFilter {
  actor?: string;
  entity?: string;
  entityId?: string;
  tenant?: string;
  action?: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
}

/** Reads the audit trail. Nothing here writes: entries come only from the audit-recorder consumer. */
@Injectable()
export class AuditLogsService {
  constructor(@Inject(CONTROL_DATABASE) private readonly control: SqlDatabase) {}

  /**
   * Newest first (by the time the event occurred; the v7 id breaks ties). The page and the total are
   * read from one snapshot (REPEATABLE READ), so they agree even while the recorder is writing.
   */
  async list(filter: AuditFilter, page: number, perPage: number): Promise<{ data: AuditEntry[]; total: number }> {
    const where = and(...conditions(filter));
    return this.control.transaction(async (tx) => {
      await tx.execute(sql`set transaction isolation level repeatable read, read only`);
      const data = await tx
        .select()
        .from(auditLog)
        .where(where)
        .orderBy(desc(auditLog.occurredAt), desc(auditLog.id))
        .limit(perPage)
        .offset((page - 1) * perPage);
      const [count] = await tx
        .select({ total: sql<number>`count(*)::int` })
        .from(auditLog)
        .where(where);
      return { data, total: Number(count?.total ?? 0) };
    });
  }
}

function conditions(filter: AuditFilter): SQL[] {
  const all: (SQL | undefined)[] = [
    filter.actor === undefined ? undefined : eq(auditLog.actorId, filter.actor),
    filter.entity === undefined ? undefined : eq(auditLog.entity, filter.entity),
    filter.entityId === undefined ? undefined : eq(auditLog.entityId, filter.entityId),
    filter.tenant === undefined ? undefined : eq(auditLog.tenant, filter.tenant),
    filter.action === undefined ? undefined : eq(auditLog.action, filter.action),
    filter.from === undefined ? undefined : gte(auditLog.occurredAt, filter.from),
    filter.to === undefined ? undefined : lt(auditLog.occurredAt, filter.to),
  ];
  return all.filter((condition): condition is SQL => condition !== undefined);
}
