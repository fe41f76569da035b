import { asc, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import type { Logger } from 'pino';
import { migrate, type MigrationResult } from './migrator.js';
import { PgliteDatabase } from './pglite-database.js';
import { PostgresDatabase } from './postgres-database.js';
import type { SqlDatabase, SqlObserver } from './sql-database.js';
import { assertTenantCode, UnknownTenantDatabase } from './tenant-code.js';
import type { TenantDatabases, TenantMigration } from './tenant-databases.port.js';
import { tenantDatabases } from './tenant-databases.tables.js';
import { PooledTenantDatabase, TenantPoolCache } from './tenant-pool-cache.js';

export interface TenantDatabaseManagerOptions {
  /** The control database, holding the `tenant_databases` registry. */
  control: SqlDatabase;
  /** DATABASE_URL; undefined → embedded, tenants are schemas of the control PGlite. */
  controlUrl: string | undefined;
  prefix: string;
  /** Extra placement servers, `name=postgres://…,name2=postgres://…`; `default` is controlUrl's server. */
  servers?: string;
  maxOpenPools: number;
  poolSize: number;
  idleMs: number;
  /** How long forTenant waits for a pool slot while every open pool is busy (default 5 s). */
  acquireTimeoutMs?: number;
  log: Logger;
  onPoolsChanged?: (open: number) => void;
  /** Counts what tenant pools send (role `tenant`). */
  observer?: SqlObserver;
}

/** Where tenant databases physically live: databases on PostgreSQL servers, or schemas of the PGlite. */
interface TenantStore {
  /** Validates a requested placement and gives the one to record. */
  placement(requested: string | undefined): string;
  create(name: string, placement: string): Promise<void>;
  migrate(name: string, placement: string): Promise<MigrationResult>;
  open(code: string, name: string, placement: string): Promise<SqlDatabase>;
  destroy(code: string, name: string, placement: string): Promise<void>;
  openPools(): number;
  close(): Promise<void>;
}

const DEFAULT = 'default';
const EMBEDDED = 'embedded';
/** Same rule as DATABASE_PREFIX in the env schema: with a 31-char code the name stays under 63 chars. */
const PREFIX_PATTERN = /^[a-z][a-z0-9_]{0,20}$/;

/**
 * The TenantDatabases port. The `tenant_databases` registry in the control database is the source of
 * truth for which tenants exist, where they are placed and at which schema version; the store does the
 * physical work. Every public method checks the code first: it ends up inside a quoted identifier.
 */
export class TenantDatabaseManager implements TenantDatabases {
  private readonly control: SqlDatabase;
  private readonly prefix: string;
  private readonly store: TenantStore;
  private readonly log: Logger;
  /** Placement by code. A tenant never moves while the process runs, so a hit needs no query. */
  private readonly placements = new Map<string, string>();

  constructor(options: TenantDatabaseManagerOptions) {
    if (!PREFIX_PATTERN.test(options.prefix)) throw new Error(`Invalid tenant database prefix "${options.prefix}"`);
    this.control = options.control;
    this.prefix = options.prefix;
    this.log = options.log;
    if (options.controlUrl) {
      this.store = new PostgresTenantStore(options.controlUrl, options);
    } else if (options.control instanceof PgliteDatabase) {
      this.store = new EmbeddedTenantStore(options.control);
    } else {
      throw new Error('Without DATABASE_URL the control database must be the embedded PGlite database');
    }
  }

  async provision(code: string, placement?: string): Promise<TenantMigration> {
    assertTenantCode(code);
    const name = this.nameOf(code);
    // The row goes in before the database exists, so a half-done provisioning is listed and can be dropped.
    const placed = await this.register(code, this.store.placement(placement), placement !== undefined);
    await this.store.create(name, placed);
    const { applied, version } = await this.store.migrate(name, placed);
    await this.recordVersion(code, version);
    this.placements.set(code, placed);
    this.log.info({ tenant: code, database: name, placement: placed, applied, version }, 'tenant database provisioned');
    return { code, placement: placed, version, applied };
  }

  async forTenant(code: string): Promise<SqlDatabase> {
    assertTenantCode(code);
    let placement = this.placements.get(code);
    if (!placement) {
      placement = (await this.find(code))?.placement;
      if (!placement) throw new UnknownTenantDatabase(code);
      this.placements.set(code, placement);
    }
    return this.store.open(code, this.nameOf(code), placement);
  }

  /** Migrates every registered tenant one after another; failures are logged, the rest still run. */
  async migrateAll(): Promise<TenantMigration[]> {
    const results: TenantMigration[] = [];
    const failures: Error[] = [];
    for (const { code, placement } of await this.list()) {
      try {
        assertTenantCode(code);
        const { applied, version } = await this.store.migrate(this.nameOf(code), placement);
        await this.recordVersion(code, version);
        results.push({ code, placement, version, applied });
        if (applied.length > 0) this.log.info({ tenant: code, applied, version }, 'tenant database migrated');
      } catch (error) {
        this.log.error({ tenant: code, err: error }, 'tenant database migration failed');
        failures.push(new Error(`tenant "${code}": ${(error as Error).message}`, { cause: error }));
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, `${failures.length} tenant migration(s) failed`);
    return results;
  }

  list(): Promise<{ code: string; placement: string; version: number }[]> {
    return this.control.transaction((tx) =>
      tx
        .select({
          code: tenantDatabases.code,
          placement: tenantDatabases.placement,
          version: tenantDatabases.schemaVersion,
        })
        .from(tenantDatabases)
        .orderBy(asc(tenantDatabases.code)),
    );
  }

  async drop(code: string): Promise<void> {
    assertTenantCode(code);
    const placement = (await this.find(code))?.placement ?? this.store.placement(undefined);
    this.placements.delete(code);
    await this.store.destroy(code, this.nameOf(code), placement);
    // Forgotten only once the database is gone, so a failed drop can be retried.
    await this.control.transaction((tx) => tx.delete(tenantDatabases).where(eq(tenantDatabases.code, code)));
    this.log.info({ tenant: code, placement }, 'tenant database dropped');
  }

  openPools(): number {
    return this.store.openPools();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  private nameOf(code: string): string {
    return `${this.prefix}${code}`;
  }

  private async find(code: string): Promise<{ placement: string } | undefined> {
    const rows = await this.control.transaction((tx) =>
      tx.select({ placement: tenantDatabases.placement }).from(tenantDatabases).where(eq(tenantDatabases.code, code)),
    );
    return rows[0];
  }

  /** Inserts the registry row if missing; a tenant keeps its placement, so asking for another is an error. */
  private register(code: string, placement: string, explicit: boolean): Promise<string> {
    return this.control.transaction(async (tx) => {
      await tx.insert(tenantDatabases).values({ code, placement }).onConflictDoNothing();
      const [row] = await tx
        .select({ placement: tenantDatabases.placement })
        .from(tenantDatabases)
        .where(eq(tenantDatabases.code, code));
      if (!row) throw new Error(`Tenant database row for "${code}" vanished during provisioning`);
      if (explicit && row.placement !== placement) {
        throw new Error(`Tenant "${code}" is placed on "${row.placement}", not "${placement}"`);
      }
      return row.placement;
    });
  }

  private async recordVersion(code: string, version: number): Promise<void> {
    await this.control.transaction((tx) =>
      tx
        .update(tenantDatabases)
        .set({ schemaVersion: version, migratedAt: sql`now()` })
        .where(eq(tenantDatabases.code, code)),
    );
  }
}

/** Embedded: one schema per tenant inside the control PGlite (one PGlite per tenant costs ~230 MB). */
class EmbeddedTenantStore implements TenantStore {
  constructor(private readonly control: PgliteDatabase) {}

  placement(requested: string | undefined): string {
    if (requested === undefined || requested === DEFAULT || requested === EMBEDDED) return EMBEDDED;
    throw new Error(`Placement "${requested}" needs DATABASE_URL; the embedded database has one placement`);
  }

  async create(name: string): Promise<void> {
    await this.control.query(sql.raw(`create schema if not exists "${name}"`));
  }

  migrate(name: string): Promise<MigrationResult> {
    return migrate(this.control.schemaView(name), 'tenant');
  }

  async open(_code: string, name: string): Promise<SqlDatabase> {
    return this.control.schemaView(name);
  }

  async destroy(_code: string, name: string): Promise<void> {
    await this.control.query(sql.raw(`drop schema if exists "${name}" cascade`));
  }

  openPools(): number {
    return 0;
  }

  async close(): Promise<void> {
    // Schemas live in the control database, closed by its owner.
  }
}

/** PostgreSQL: one database per tenant on its placement server, reached through the pool cache. */
class PostgresTenantStore implements TenantStore {
  private readonly servers: Map<string, URL>;
  private readonly pools: TenantPoolCache;
  private readonly poolSize: number;
  private readonly idleMs: number;
  private readonly observer: SqlObserver | undefined;

  constructor(controlUrl: string, options: TenantDatabaseManagerOptions) {
    this.servers = parseServers(controlUrl, options.servers);
    this.poolSize = options.poolSize;
    this.idleMs = options.idleMs;
    this.observer = options.observer;
    this.pools = new TenantPoolCache({
      maxOpen: options.maxOpenPools,
      idleMs: options.idleMs,
      acquireTimeoutMs: options.acquireTimeoutMs ?? 5_000,
      onChanged: options.onPoolsChanged ?? (() => undefined),
      onCloseError: (tenant, err) => options.log.warn({ tenant, err }, 'closing a tenant pool failed'),
    });
  }

  placement(requested: string | undefined): string {
    const placement = requested ?? DEFAULT;
    if (!this.servers.has(placement))
      throw new Error(`Unknown placement "${placement}"; configure it in TENANT_SERVERS`);
    return placement;
  }

  async create(name: string, placement: string): Promise<void> {
    try {
      await this.admin(placement, `create database "${name}"`);
    } catch (error) {
      // 42P04 duplicate_database: provisioned before. 23505: a concurrent CREATE DATABASE of the same
      // name won the race for the pg_database catalog row. Either way the database exists.
      const code = (error as { code?: string }).code;
      if (code !== '42P04' && code !== '23505') throw error;
    }
  }

  /** Schema changes use a one-connection pool of their own, so migrating every tenant does not flush the LRU. */
  async migrate(name: string, placement: string): Promise<MigrationResult> {
    const db = new PostgresDatabase({ url: this.urlOf(placement, name), poolSize: 1, applicationName: 'ordo-migrate' });
    try {
      return await migrate(db, 'tenant');
    } finally {
      await db.close();
    }
  }

  async open(code: string, name: string, placement: string): Promise<SqlDatabase> {
    const url = this.urlOf(placement, name);
    const open = (): PostgresDatabase =>
      new PostgresDatabase({
        url,
        poolSize: this.poolSize,
        idleTimeoutMs: this.idleMs,
        applicationName: 'ordo-tenant',
        role: 'tenant',
        observer: this.observer,
      });
    // Opening here makes forTenant fail fast when every pool stays busy, rather than at first use.
    await this.pools.touch(code, open);
    return new PooledTenantDatabase(name, (work) => this.pools.use(code, open, work));
  }

  async destroy(code: string, name: string, placement: string): Promise<void> {
    const closed = this.pools.remove(code);
    // FORCE (PostgreSQL 13+) ends other sessions, including any still draining from our own pool.
    await this.admin(placement, `drop database if exists "${name}" with (force)`);
    await closed;
  }

  openPools(): number {
    return this.pools.size;
  }

  close(): Promise<void> {
    return this.pools.close();
  }

  private urlOf(placement: string, database: string): string {
    const server = this.servers.get(placement);
    if (!server) throw new Error(`Unknown placement "${placement}"; configure it in TENANT_SERVERS`);
    const url = new URL(server);
    url.pathname = `/${database}`;
    return url.toString();
  }

  /** CREATE/DROP DATABASE cannot run in a transaction or inside the target, so a short-lived client on `postgres`. */
  private async admin(placement: string, statement: string): Promise<void> {
    const client = new pg.Client({
      connectionString: this.urlOf(placement, 'postgres'),
      application_name: 'ordo-admin',
    });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  }
}

/** `default` is DATABASE_URL's server; TENANT_SERVERS adds `name=url` pairs for spreading tenants out. */
function parseServers(controlUrl: string, servers: string | undefined): Map<string, URL> {
  const result = new Map<string, URL>([[DEFAULT, new URL(controlUrl)]]);
  const pairs = (servers ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean);
  for (const [index, pair] of pairs.entries()) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, Math.max(at, 0)).trim();
    const url = pair.slice(at + 1).trim();
    // An entry may hold a password, so errors name the entry, never quote it.
    if (!/^[a-z0-9_-]+$/i.test(name)) throw new Error(`TENANT_SERVERS: entry ${index + 1} is not name=postgres://…`);
    if (result.has(name)) throw new Error(`TENANT_SERVERS: placement "${name}" is defined twice (or shadows default)`);
    if (!URL.canParse(url)) throw new Error(`TENANT_SERVERS: placement "${name}" has an invalid URL`);
    result.set(name, new URL(url));
  }
  return result;
}
