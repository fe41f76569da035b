import { startOrdo, type Ordo } from '../../src/bootstrap.js';
import type { Clock } from '../../src/common/clock.js';
import { loadEnv } from '../../src/config/load-env.js';
import { IN_MEMORY } from '../../src/infra/infra.factories.js';
import { createRealInfra, TEST_RETRY_DELAYS_MS, type RealInfra } from './infra.js';
import { TEST_ADMIN_ENV, testRequester, type TestRequest } from './auth.js';
import { recordingLogger } from './logger.js';
import { requireService } from './services.js';
import { openEmbeddedDatabase } from './pglite.js';
import type { PgliteDatabase } from '../../src/infra/database/pglite-database.js';

export type InfraKind = 'embedded' | 'real';

export interface TestApp {
  ordo: Ordo;
  url: string;
  /** fetch against the app: `json` bodies, signed in as the test admin unless `as` says otherwise. */
  request: TestRequest;
  /** What the server logged about an error id it answered with (its stack, the failing query, …). */
  serverLogFor(errorId: string): string;
  close(): Promise<void>;
}

/**
 * Ordo in this process (MODE=all unless `env.MODE` says otherwise) on an ephemeral port.
 * embedded: in-memory PGlite from the migrated snapshot, table bus, memory cache.
 * real: a fresh Postgres database, its own RabbitMQ namespace and Redis prefix, removed on close.
 */
export async function startTestApp(
  kind: InfraKind,
  env: Record<string, string> = {},
  options: { clock?: Clock } = {},
): Promise<TestApp> {
  let infra: RealInfra | undefined;
  let baseEnv: Record<string, string>;
  let controlDatabase: PgliteDatabase | undefined;
  if (kind === 'real') {
    infra = await createRealInfra();
    baseEnv = infra.env;
  } else {
    controlDatabase = await openEmbeddedDatabase();
    baseEnv = { DATA_DIR: IN_MEMORY, BUS_RETRY_DELAYS_MS: TEST_RETRY_DELAYS_MS.join(',') };
  }
  const parsed = loadEnv({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    OUTBOX_SWEEP_INTERVAL_MS: '500',
    ...TEST_ADMIN_ENV,
    ...baseEnv,
    ...env,
  });
  const log = recordingLogger();
  const ordo = await startOrdo(parsed, { logger: log.logger, controlDatabase, clock: options.clock });
  const url = ordo.url!;
  return {
    ordo,
    url,
    request: testRequester(() => url),
    serverLogFor: (errorId) => log.describe(errorId),
    async close() {
      await ordo.close();
      await controlDatabase?.close();
      await infra?.cleanup();
    },
  };
}

/** The `skip` option for a suite on this kind of infrastructure (real needs Postgres, RabbitMQ and Redis). */
export async function skipUnless(kind: InfraKind): Promise<false | string> {
  if (kind === 'embedded') return false;
  for (const service of ['postgres', 'rabbitmq', 'redis'] as const) {
    const skip = await requireService(service);
    if (skip) return skip;
  }
  return false;
}
