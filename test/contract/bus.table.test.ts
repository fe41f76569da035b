import { pino } from 'pino';
import { TableBus } from '../../src/infra/bus/table-bus.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import { TenantDatabaseManager } from '../../src/infra/database/tenant-database-manager.js';
import { openEmbeddedDatabase } from '../support/pglite.js';
import { createTestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { busContract } from './bus.contract.js';

const log = pino({ level: 'silent' });

busContract('table bus on PGlite', false, async () => {
  const control = await openEmbeddedDatabase();
  const tenants = new TenantDatabaseManager({
    control,
    controlUrl: undefined,
    prefix: 'ordo_tenant_',
    maxOpenPools: 2,
    poolSize: 1,
    idleMs: 60_000,
    log,
    onPoolsChanged: () => undefined,
  });
  return {
    control,
    tenants,
    openBus: (options) => new TableBus(control, { namespace: 'ordo', ...options }, log),
    cleanup: async () => {
      await tenants.close();
      await control.close();
    },
  };
});

busContract('table bus on PostgreSQL', await requireService('postgres'), async () => {
  const database = await createTestDatabase('bus');
  const control = new PostgresDatabase({ url: database.url, poolSize: 8 });
  const tenants = new TenantDatabaseManager({
    control,
    controlUrl: database.url,
    prefix: `t${database.name.slice(-9)}_`,
    maxOpenPools: 2,
    poolSize: 1,
    idleMs: 60_000,
    log,
    onPoolsChanged: () => undefined,
  });
  return {
    control,
    tenants,
    openBus: (options) => new TableBus(control, { namespace: 'ordo', ...options }, log),
    cleanup: async () => {
      await tenants.close();
      await control.close();
      await database.drop();
    },
  };
});
