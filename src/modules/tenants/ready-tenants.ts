import { Inject, Injectable } from '@nestjs/common';
import { eq } from 'drizzle-orm';
import { CONTROL_DATABASE, type SqlDatabase } from '../../infra/database/sql-database.js';
import { isTenantCode } from '../../infra/database/tenant-code.js';
import { TENANT_DATABASES, type TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { tenantsRepository, type Tenant } from './tenants.repository.js';
import { tenants } from './tenants.tables.js';

/** What other modules may know about a tenant, whatever its status. */
export interface TenantProfile {
  code: string;
  name: string;
  currency: string;
  status: Tenant['status'];
  ownerUserId: string | null;
  /** Where the tenant's deliveries start. */
  pickup: { lat: number; lng: number; address: string };
}

/** A READY tenant to work in: its profile and a handle on its own database. */
export interface TenantContext extends Omit<TenantProfile, 'status'> {
  /** The tenant's own database: every query about the tenant's data goes through this handle. */
  db: SqlDatabase;
}

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
    const profile = await this.profile(code);
    if (!profile) return { ok: false, status: 'UNKNOWN' };
    if (profile.status !== 'READY') return { ok: false, status: profile.status };
    const { status: _status, ...context } = profile;
    return { ok: true, tenant: { ...context, db: await this.databases.forTenant(code) } };
  }

  /** The tenant's profile in any status (an order of a since-suspended tenant is still served), or undefined. */
  async profile(code: string): Promise<TenantProfile | undefined> {
    if (!isTenantCode(code)) return undefined;
    const tenant = await this.control.transaction((tx) => tenantsRepository.find(tx, code));
    if (!tenant) return undefined;
    return {
      code: tenant.code,
      name: tenant.name,
      currency: tenant.currency,
      status: tenant.status,
      ownerUserId: tenant.ownerUserId,
      pickup: { lat: tenant.pickupLat, lng: tenant.pickupLng, address: tenant.pickupAddress },
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
