import { Redis } from 'ioredis';
import '../../src/app.module.js';
import { declaredConsumers } from '../../src/infra/bus/consumer.js';
import { leaseNamespace } from './namespace-pool.js';
import { createTestDatabase, dropDatabasesWithPrefix, type TestDatabase } from './postgres.js';
import { serviceUrls, uniqueSuffix } from './services.js';

/**
 * Every consumer the app registers, read from its modules' `@Consumer` declarations (importing the app
 * module loads them all): a pooled namespace declares and purges their queues.
 */
export const APP_CONSUMERS = declaredConsumers().map((consumer) => consumer.name);

/** Retry tiers tests run with: short, so poison messages reach the dead-letter store in about a second. */
export const TEST_RETRY_DELAYS_MS = [100, 300];

/** The namespace pool (test/support/namespace-pool.ts) of tests that run the app. */
const APP_NAMESPACE_POOL = 'ordo_test_app';

/**
 * Isolated real infrastructure for one test: a fresh control database, a RabbitMQ namespace leased
 * from the pool (empty queues) and its own Redis key prefix, plus the env variables that point Ordo at
 * them. `cleanup` removes the database and keys, and empties and returns the namespace.
 */
export interface RealInfra {
  env: Record<string, string>;
  database: TestDatabase;
  namespace: string;
  tenantPrefix: string;
  redisPrefix: string;
  cleanup(): Promise<void>;
}

export async function createRealInfra(label = 'app'): Promise<RealInfra> {
  const rabbit = await leaseNamespace(APP_NAMESPACE_POOL, APP_CONSUMERS, TEST_RETRY_DELAYS_MS);
  const database = await createTestDatabase(label);
  const namespace = rabbit.namespace;
  const suffix = uniqueSuffix();
  const tenantPrefix = `ot${suffix}_`;
  const redisPrefix = `ordo-test:${suffix}:`;
  return {
    database,
    namespace,
    tenantPrefix,
    redisPrefix,
    env: {
      DATABASE_URL: database.url,
      RABBITMQ_URL: serviceUrls.rabbitmq,
      REDIS_URL: serviceUrls.redis,
      BUS_NAMESPACE: namespace,
      DATABASE_PREFIX: tenantPrefix,
      REDIS_KEY_PREFIX: redisPrefix,
      BUS_RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS.join(','),
    },
    async cleanup() {
      try {
        await deleteRedisKeys(redisPrefix);
        await dropDatabasesWithPrefix(tenantPrefix);
        await database.drop();
      } finally {
        await rabbit.release();
      }
    },
  };
}

export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(serviceUrls.redis, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
