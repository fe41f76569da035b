// `npm run migrate`: brings the control database and every tenant database to the latest schema,
// reporting each. Safe to run while Ordo runs on PostgreSQL: migrations take advisory locks. The embedded
// database takes one process at a time: with an Ordo running on DATA_DIR it says so and stops (Ordo
// migrates it at every start anyway).
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import { loadEnv } from '../src/config/load-env.js';
import { refuseBusyDataDir } from './refuse-busy-data-dir.js';
import { createTenantDatabases, openControlDatabase } from '../src/infra/infra.factories.js';
import { Metrics } from '../src/infra/metrics/metrics.js';
import { recordTenantSchemaVersions } from '../src/modules/tenants/tenant-schema-versions.js';

loadDotenv({ quiet: true });
const env = loadEnv();
refuseBusyDataDir(env, 'npm run migrate');
const log = pino({ level: 'warn' });
const control = await openControlDatabase(env, log);
const tenants = createTenantDatabases(env, control, log, new Metrics());
try {
  console.log(`control database (${control.kind}): up to date`);
  // Tenant rows show each database's version even when another tenant's migration failed.
  const results = await tenants.migrateAll().finally(() => recordTenantSchemaVersions(control, tenants));
  for (const result of results) {
    const applied = result.applied.length ? `applied ${result.applied.join(', ')}` : 'already up to date';
    console.log(`tenant ${result.code} (${result.placement}): version ${result.version}, ${applied}`);
  }
  console.log(`${results.length} tenant database(s) migrated`);
} finally {
  await tenants.close();
  await control.close();
}
