// `npm run migrate`: brings the control database and every tenant database to the latest schema,
// reporting each. Safe to run while Ordo runs: migrations take advisory locks.
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import { loadEnv } from '../src/config/load-env.js';
import { createTenantDatabases, openControlDatabase } from '../src/infra/infra.factories.js';
import { Metrics } from '../src/infra/metrics/metrics.js';
import { recordTenantSchemaVersions } from '../src/modules/tenants/tenant-schema-versions.js';

loadDotenv({ quiet: true });
const env = loadEnv();
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
