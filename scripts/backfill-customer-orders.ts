// `npm run orders:backfill`: copies every tenant's orders into the control database's `customer_orders`
// read model (what `GET /api/orders` lists). Run it once after upgrading to the version that introduced
// the read model, when every process runs it: orders placed before then have no events left to fill it.
// Safe to run while Ordo runs on PostgreSQL, and to run again (docs/ARCHITECTURE.md, "Orders"); on the
// embedded database, stop Ordo first (it says so if you have not).
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import { loadEnv } from '../src/config/load-env.js';
import { refuseBusyDataDir } from './refuse-busy-data-dir.js';
import { createTenantDatabases, openControlDatabase } from '../src/infra/infra.factories.js';
import { Metrics } from '../src/infra/metrics/metrics.js';
import { backfillCustomerOrders } from '../src/modules/orders/customer-orders.backfill.js';

loadDotenv({ quiet: true });
const env = loadEnv();
refuseBusyDataDir(env, 'npm run orders:backfill');
const log = pino({ level: 'warn' });
const control = await openControlDatabase(env, log);
const tenants = createTenantDatabases(env, control, log, new Metrics());
try {
  const results = await backfillCustomerOrders(control, tenants, ({ tenant, orders }) =>
    console.log(`tenant ${tenant}: ${orders} order(s) copied`),
  );
  const total = results.reduce((sum, result) => sum + result.orders, 0);
  console.log(`${total} order(s) of ${results.length} tenant(s) in customer_orders`);
} finally {
  await tenants.close();
  await control.close();
}
