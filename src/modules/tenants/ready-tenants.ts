import { Inject, Injectable } from '@nestjs/common';
import { eq, ne } from 'drizzle-orm';
import { CACHE, type CachePort } from '../../infra/cache/cache.port.js';
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

/**
 * How long a process may answer a tenant's profile from the cache. Every status change made through
 * Ordo (`forget`) drops it in every process at once; this only bounds a change made by hand in SQL.
 */
const PROFILE_TTL_MS = 60_000;
const profileTag = (code: string) => `tenant:${code}`;

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
    @Inject(CACHE) private readonly cache: CachePort,
  ) {}

  async lookup(code: string): Promise<TenantLookup> {
    const profile = await this.profile(code);
    if (!profile) return { ok: false, status: 'UNKNOWN' };
    if (profile.status !== 'READY') return { ok: false, status: profile.status };
    const { status: _status, ...context } = profile;
    return { ok: true, tenant: { ...context, db: await this.databases.forTenant(code) } };
  }

  /**
   * The tenant's profile in any status (an order of a since-suspended tenant is still served), or
   * undefined. Read on every tenant-scoped request and by consumers, so it comes from the cache (as
   * sessions do): a commit on the control database saved per lookup. An unknown code is cached too.
   */
  async profile(code: string): Promise<TenantProfile | undefined> {
    if (!isTenantCode(code)) return undefined;
    const cached = await this.cache.wrap(
      `tenant-profile:${code}`,
      { ttlMs: PROFILE_TTL_MS, tags: [profileTag(code)] },
      async () => (await this.load(code)) ?? null,
    );
    return cached ?? undefined;
  }

  /** Call after a tenant was created or changed status: every process reads it afresh. */
  forget(code: string): Promise<void> {
    return this.cache.invalidateTags([profileTag(code)]);
  }

  private async load(code: string): Promise<TenantProfile | undefined> {
    const tenant = await this.control.read((db) => tenantsRepository.find(db, code));
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

  /**
   * Codes of every tenant that is not READY (provisioning, failed, suspended), in code order. Far fewer
   * than the READY ones, so a read across tenants leaves these out rather than listing all the others.
   */
  async notReadyCodes(): Promise<string[]> {
    const rows = await this.control.read((db) =>
      db.select({ code: tenants.code }).from(tenants).where(ne(tenants.status, 'READY')).orderBy(tenants.code),
    );
    return rows.map((row) => row.code);
  }

  async find(code: string): Promise<TenantContext | undefined> {
    const result = await this.lookup(code);
    return result.ok ? result.tenant : undefined;
  }
}
