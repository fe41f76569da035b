import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Env } from '../config/env.schema.js';
import type { BusOptions, BusPort } from './bus/bus.port.js';
import { RabbitBus } from './bus/rabbit-bus.js';
import { TableBus } from './bus/table-bus.js';
import type { CachePort } from './cache/cache.port.js';
import { MemoryCache } from './cache/memory-cache.js';
import { RedisCache } from './cache/redis-cache.js';
import { lockDataDir } from './database/data-dir-lock.js';
import { migrate } from './database/migrator.js';
import { PgliteDatabase } from './database/pglite-database.js';
import { PostgresDatabase } from './database/postgres-database.js';
import type { SqlDatabase, SqlObserver } from './database/sql-database.js';
import { TenantDatabaseManager } from './database/tenant-database-manager.js';
import type { TenantDatabases } from './database/tenant-databases.port.js';
import type { GeoIndexPort } from './geo/geo.port.js';
import { MemoryGeoIndex } from './geo/memory-geo-index.js';
import { RedisGeoIndex } from './geo/redis-geo-index.js';
import type { Metrics } from './metrics/metrics.js';

/** `DATA_DIR=:memory:` keeps the embedded database in memory (tests, throwaway demos). */
export const IN_MEMORY = ':memory:';

/**
 * PostgreSQL when DATABASE_URL is set, PGlite under DATA_DIR otherwise (for this process alone: another
 * one holding DATA_DIR is refused with DataDirInUseError); control migrations applied.
 */
export async function openControlDatabase(env: Env, log: Logger, observer?: SqlObserver): Promise<SqlDatabase> {
  const database = env.DATABASE_URL
    ? new PostgresDatabase({
        url: env.DATABASE_URL,
        poolSize: env.DATABASE_POOL_SIZE,
        applicationName: `ordo-${env.MODE}`,
        observer,
      })
    : env.DATA_DIR === IN_MEMORY
      ? await PgliteDatabase.open({ observer })
      : await PgliteDatabase.open({
          dataDir: join(env.DATA_DIR, 'pgdata'),
          observer,
          // Before PGlite touches a file: a second process on these files would damage them for good.
          lock: await lockDataDir(env.DATA_DIR),
        });
  const { applied, version } = await migrate(database, 'control');
  log.info({ database: database.kind, applied, version }, 'control database ready');
  return database;
}

export function createTenantDatabases(env: Env, control: SqlDatabase, log: Logger, metrics: Metrics): TenantDatabases {
  return new TenantDatabaseManager({
    control,
    controlUrl: env.DATABASE_URL,
    prefix: env.DATABASE_PREFIX,
    servers: env.TENANT_SERVERS,
    maxOpenPools: env.TENANT_POOL_MAX_OPEN,
    poolSize: env.TENANT_POOL_SIZE,
    idleMs: env.TENANT_POOL_IDLE_MS,
    log,
    onPoolsChanged: (open: number) => metrics.tenantPoolsOpen.set(open),
    observer: metrics,
  });
}

export function busOptions(env: Env): BusOptions {
  return {
    namespace: env.BUS_NAMESPACE,
    retryDelaysMs: env.BUS_RETRY_DELAYS_MS,
    prefetch: env.BUS_PREFETCH,
    handlerTimeoutMs: env.BUS_HANDLER_TIMEOUT_MS,
  };
}

/** RabbitMQ when RABBITMQ_URL is set, queue tables in the control database otherwise. */
export function createBus(env: Env, control: SqlDatabase, log: Logger): BusPort {
  return env.RABBITMQ_URL
    ? new RabbitBus({ url: env.RABBITMQ_URL, ...busOptions(env) }, log)
    : new TableBus(control, { ...busOptions(env), leaseMs: env.BUS_LEASE_MS }, log);
}

/** Redis when REDIS_URL is set, in-process otherwise. */
export function createCache(env: Env, log: Logger): CachePort {
  return env.REDIS_URL
    ? new RedisCache({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, logger: log })
    : new MemoryCache();
}

/** Redis GEO when REDIS_URL is set, an in-process grid otherwise: the live index of drivers' positions. */
export function createGeoIndex(env: Env, log: Logger): GeoIndexPort {
  return env.REDIS_URL
    ? new RedisGeoIndex({ url: env.REDIS_URL, keyPrefix: env.REDIS_KEY_PREFIX, logger: log })
    : new MemoryGeoIndex();
}
