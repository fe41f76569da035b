import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { isTenantCode } from '../../infra/database/tenant-code.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import type { TenantContext } from './tenant-scope.js';
import { tenantsRepository, type Tenant } from './tenants.repository.js';
import { tenants } from './tenants.tables.js';

export type TenantLookup = { ok: true; tenant: TenantContext } | { ok: false; status: Tenant['status'] | 'UNKNOWN' };

/**
 * A tenant to work in, by code: its row plus a handle on its database, only while it is READY.
 * The tenant guard uses it for `/api/tenants/:tenantCode/…`; so does work that names a tenant some
 * other way (a payment webhook, a checkout page).
 */
@Injectable()
export class ReadyTenants {
  constructor(
    @Inject(CONTROL_DATABASE) private readonly control: SqlDatabase,
    @Inject(TENANT_DATABASES) private readonly databases: TenantDatabases,
  ) {}

  async lookup(code: string): Promise<TenantLookup> {
    if (!isTenantCode(code)) return { ok: false, status: 'UNKNOWN' };
    const tenant = await this.control.transaction((tx) => tenantsRepository.find(tx, code));
    if (!tenant) return { ok: false, status: 'UNKNOWN' };
    if (tenant.status !== 'READY') return { ok: false, status: tenant.status };
    return {
      ok: true,
      tenant: {
        code: tenant.code,
        name: tenant.name,
        currency: tenant.currency,
        ownerUserId: tenant.ownerUserId,
        db: await this.databases.forTenant(code),
      },
    };
  }

  /** Codes of every READY tenant, in code order: for work that visits each tenant (reads, due-time jobs). */
  async readyCodes(): Promise<string[]> {
    const rows = await this.control.transaction((tx) =>
      tx.select({ code: tenants.code }).from(tenants).where(eq(tenants.status, 'READY')).orderBy(tenants.code),
    );
    return rows.map((row) => row.code);
  }

  async find(code: string): Promise<TenantContext | undefined> {
    const result = await this.lookup(code);
    return result.ok ? result.tenant : undefined;
  }
}
