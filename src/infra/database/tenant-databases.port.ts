import type { SqlDatabase } from './sql-database.js';

export interface TenantMigration {
  code: string;
  placement: string;
  /** Schema version after the run (how many tenant migrations it has). */
  version: number;
  applied: string[];
}

/**
 * Tenant databases. On PostgreSQL each tenant is its own database `${DATABASE_PREFIX}${code}` on its
 * placement server, reached through a bounded LRU of pools; embedded, each tenant is a schema of the
 * one PGlite database. Codes are checked against `^[a-z][a-z0-9_]{2,30}$` before any SQL.
 */
export interface TenantDatabases {
  /** Creates the database if missing, migrates it and records its version. Idempotent. */
  provision(code: string, placement?: string): Promise<TenantMigration>;
  /** A handle on a provisioned tenant's database; throws UnknownTenantDatabase otherwise. */
  forTenant(code: string): Promise<SqlDatabase>;
  /** Brings every provisioned tenant to the latest schema. */
  migrateAll(): Promise<TenantMigration[]>;
  list(): Promise<{ code: string; placement: string; version: number }[]>;
  /** Drops the tenant's database and forgets it (tests, failed provisioning). */
  drop(code: string): Promise<void>;
  /** Tenant pools open right now (always 0 embedded). */
  openPools(): number;
  close(): Promise<void>;
}

export const TENANT_DATABASES = Symbol('TENANT_DATABASES');
