import { and, asc, eq, ne, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import type { Db } from '../../infra/database/sql-database.js';
import { canTransition } from './tenant-lifecycle.js';
import type { TenantSummary } from './tenant.events.js';
import { tenants, type TenantStatus } from './tenants.tables.js';

export type Tenant = typeof tenants.$inferSelect;
export type NewTenant = typeof tenants.$inferInsert;

/** Queries on the tenants table (control database). Every function takes the transaction it runs in. */
export const tenantsRepository = {
  async find(tx: Db, code: string): Promise<Tenant | undefined> {
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.code, code));
    return tenant;
  },

  /** Like find, and locks the row until the transaction ends: for read-modify-write. */
  async findForUpdate(tx: Db, code: string): Promise<Tenant | undefined> {
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.code, code)).for('update');
    return tenant;
  },

  async insert(tx: Db, tenant: NewTenant): Promise<Tenant> {
    const [created] = await tx.insert(tenants).values(tenant).returning();
    return created!;
  },

  /**
   * Moves a tenant from `from` to `to` (plus `changes`) only if it is still in `from`, so a stale or
   * repeated message cannot undo a newer change. Undefined when the tenant was not in `from`.
   * Asking for a transition the lifecycle does not allow is a bug, so it throws.
   */
  async transition(
    tx: Db,
    code: string,
    from: TenantStatus,
    to: TenantStatus,
    changes: Pick<PgUpdateSetSource<typeof tenants>, 'failureReason' | 'placement' | 'schemaVersion' | 'readyAt'> = {},
  ): Promise<Tenant | undefined> {
    if (!canTransition(from, to)) throw new Error(`Tenant lifecycle does not allow ${from} → ${to}`);
    const [updated] = await tx
      .update(tenants)
      .set({ ...changes, status: to, updatedAt: sql`now()` })
      .where(and(eq(tenants.code, code), eq(tenants.status, from)))
      .returning();
    return updated;
  },

  async page(
    tx: Db,
    status: TenantStatus | undefined,
    limit: number,
    offset: number,
  ): Promise<{ rows: Tenant[]; total: number }> {
    const filter = status ? eq(tenants.status, status) : undefined;
    const rows = await tx
      .select()
      .from(tenants)
      .where(filter)
      .orderBy(asc(tenants.createdAt), asc(tenants.code))
      .limit(limit)
      .offset(offset);
    const [count] = await tx
      .select({ total: sql<number>`count(*)::int` })
      .from(tenants)
      .where(filter);
    return { rows, total: Number(count?.total ?? 0) };
  },

  /** Records the schema version a tenant database was migrated to; true when it changed. */
  async recordSchemaVersion(tx: Db, code: string, version: number): Promise<boolean> {
    const updated = await tx
      .update(tenants)
      .set({ schemaVersion: version, updatedAt: sql`now()` })
      .where(and(eq(tenants.code, code), ne(tenants.schemaVersion, version)))
      .returning({ code: tenants.code });
    return updated.length > 0;
  },
};

export function summarize(tenant: Tenant): TenantSummary {
  return {
    code: tenant.code,
    name: tenant.name,
    currency: tenant.currency,
    status: tenant.status,
    placement: tenant.placement,
    ownerUserId: tenant.ownerUserId,
  };
}
