import { after } from 'node:test';
import { sql } from 'drizzle-orm';
import { TableBus } from '../../src/infra/bus/table-bus.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import type { SqlDatabase } from '../../src/infra/database/sql-database.js';
import { TenantDatabaseManager } from '../../src/infra/database/tenant-database-manager.js';
import { testLogger } from '../support/logger.js';
import { openEmbeddedDatabase } from '../support/pglite.js';
import { createTestDatabase } from '../support/postgres.js';
import { requireService } from '../support/services.js';
import { busContract } from './bus.contract.js';
import { busTransportContract, TRANSPORT_CONSUMERS, type TransportFactory } from './bus-transport.contract.js';

const log = testLogger();
const postgresSkip = await requireService('postgres');

function tenantsOn(control: SqlDatabase, controlUrl: string | undefined, prefix: string): TenantDatabaseManager {
  return new TenantDatabaseManager({
    control,
    controlUrl,
    prefix,
    maxOpenPools: 2,
    poolSize: 1,
    idleMs: 60_000,
    log,
    onPoolsChanged: () => undefined,
  });
}

busContract('table bus on PGlite', false, async () => {
  const control = await openEmbeddedDatabase();
  const tenants = tenantsOn(control, undefined, 'ordo_tenant_');
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

busContract('table bus on PostgreSQL', postgresSkip, async () => {
  const database = await createTestDatabase('bus');
  const control = new PostgresDatabase({ url: database.url, poolSize: 8 });
  const tenants = tenantsOn(control, database.url, `t${database.name.slice(-9)}_`);
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

/**
 * The transport suite opens a bus per test; here they share one database per file and each
 * dispose empties the queues of the suite's consumers.
 */
function tableTransport(open: () => Promise<{ database: SqlDatabase; close(): Promise<void> }>): {
  factory: TransportFactory;
  close(): Promise<void>;
} {
  let shared: Promise<{ database: SqlDatabase; close(): Promise<void> }> | undefined;
  return {
    factory: async (options) => {
      shared ??= open();
      const { database } = await shared;
      const bus = new TableBus(database, { namespace: 'ordo', ...options, leaseMs: 5_000 }, log);
      return {
        bus,
        pending: async (consumer) => {
          const [row] = await database.query<{ count: number }>(
            sql`select count(*)::int as count from bus_messages
                where consumer = ${consumer} and (locked_until is null or locked_until < now())`,
          );
          return row?.count ?? 0;
        },
        dispose: async () => {
          await bus.close();
          for (const consumer of TRANSPORT_CONSUMERS) {
            await database.query(sql`delete from bus_messages where consumer = ${consumer}`);
            await database.query(sql`delete from bus_bindings where consumer = ${consumer}`);
          }
        },
      };
    },
    close: async () => (shared ? (await shared).close() : undefined),
  };
}

const embeddedTransport = tableTransport(async () => {
  const database = await openEmbeddedDatabase();
  return { database, close: () => database.close() };
});
busTransportContract('table bus on PGlite', () => false, embeddedTransport.factory);

const postgresTransport = tableTransport(async () => {
  const testDatabase = await createTestDatabase('bust');
  const database = new PostgresDatabase({ url: testDatabase.url, poolSize: 8 });
  return {
    database,
    close: async () => {
      await database.close();
      await testDatabase.drop();
    },
  };
});
busTransportContract('table bus on PostgreSQL', () => postgresSkip, postgresTransport.factory);

// Root-level hook: runs once every suite of this file has finished.
after(async () => {
  await embeddedTransport.close();
  await postgresTransport.close();
});
