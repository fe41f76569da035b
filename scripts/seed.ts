// `npm run seed`: demo data for development, loaded into whatever the environment points at (the
// embedded database under DATA_DIR by default; DATABASE_URL etc. when set). Idempotent: it creates
// only what is missing, so a second run creates nothing.
//
//   admin     admin@ordo.local      admin-password      (ORDO_ADMIN_EMAIL / ORDO_ADMIN_PASSWORD override)
//   tenant    demo_shop             "Demo Shop", EUR, pickup at Alexanderplatz, Berlin; READY
//   merchant  merchant@ordo.local   merchant-password   (owner of demo_shop)
//   customer  customer@ordo.local   customer-password
//
// It starts Ordo in this process (MODE=all, PORT=0), so the tenant-provisioner consumer creates the
// tenant's database, waits until the tenant is READY, prints what it did and stops. An embedded
// database is opened by one process at a time: with an Ordo running on the same DATA_DIR, the seed
// names that process and stops before touching anything; stop it, seed, start it again.
// Refuses NODE_ENV=production: these passwords are public.
import 'reflect-metadata';
import { config as loadDotenv } from 'dotenv';
import { pino, type Level } from 'pino';
import { startOrdo, type Ordo } from '../src/bootstrap.js';
import type { Role } from '../src/common/auth/roles.js';
import { loadEnv } from '../src/config/load-env.js';
import { refuseBusyDataDir } from './refuse-busy-data-dir.js';
import { UnitOfWork } from '../src/infra/bus/unit-of-work.js';
import { CONTROL_DATABASE, type SqlDatabase } from '../src/infra/database/sql-database.js';
import type { Tenant } from '../src/modules/tenants/tenants.repository.js';
import { TenantsService } from '../src/modules/tenants/tenants.service.js';
import { Accounts } from '../src/modules/users/accounts.js';
import { PasswordHasher } from '../src/modules/users/password-hasher.js';

const TENANT = 'demo_shop';
const MERCHANT = { email: 'merchant@ordo.local', password: 'merchant-password', name: 'Demo Merchant' };
const CUSTOMER = { email: 'customer@ordo.local', password: 'customer-password', name: 'Demo Customer' };
const PROVISIONING_TIMEOUT_MS = 120_000;

interface Line {
  created: boolean;
  what: string;
  detail: string;
}

loadDotenv({ quiet: true });
const given = loadEnv();
if (given.NODE_ENV === 'production') {
  console.error('npm run seed refuses NODE_ENV=production: the demo accounts have published passwords.');
  process.exit(1);
}
const adminFromEnv = Boolean(given.ORDO_ADMIN_EMAIL && given.ORDO_ADMIN_PASSWORD);
const ADMIN = {
  email: adminFromEnv ? given.ORDO_ADMIN_EMAIL! : 'admin@ordo.local',
  password: adminFromEnv ? given.ORDO_ADMIN_PASSWORD! : 'admin-password',
  name: 'Administrator',
};

// The seed creates the admin itself (so it can say whether it did); the first-admin hook stays out.
const { ORDO_ADMIN_EMAIL: _email, ORDO_ADMIN_PASSWORD: _password, ...rest } = process.env;
const env = loadEnv({ ...rest, MODE: 'all', PORT: '0', HOST: '127.0.0.1' });
refuseBusyDataDir(env, 'npm run seed');
const logLevel = (process.env.SEED_LOG_LEVEL ?? 'error') as Level;
const ordo = await startOrdo(env, { logger: pino({ level: logLevel }) }).catch((error: unknown) => {
  console.error('npm run seed could not start Ordo:', error instanceof Error ? error.message : error);
  process.exit(1);
});

try {
  const lines = [
    await ensureUser(ordo, 'ADMIN', ADMIN),
    ...(await ensureTenant(ordo)),
    await ensureUser(ordo, 'CUSTOMER', CUSTOMER),
  ];
  const where = env.DATABASE_URL ? 'PostgreSQL (DATABASE_URL)' : `embedded, DATA_DIR ${env.DATA_DIR}`;
  console.log(`Ordo demo data (${where}):`);
  for (const line of lines)
    console.log(`  ${line.created ? 'created' : 'exists '}  ${line.what.padEnd(8)}  ${line.detail}`);
  const created = lines.filter((line) => line.created).length;
  console.log(
    created === 0
      ? `Nothing new: all ${lines.length} demo records were already there.`
      : `${created} created, ${lines.length - created} already there.`,
  );
  console.log('Sign in with POST /api/auth/login {"email": "...", "password": "..."}.');
  await ordo.close();
  process.exit(0);
} catch (error) {
  console.error('Seeding failed:', error instanceof Error ? error.message : error);
  await ordo.close().catch(() => undefined);
  process.exit(1);
}

/** The account with this email, created with this role (and tenant, for a MERCHANT) if it does not exist. */
async function ensureUser(
  app: Ordo,
  role: Role,
  person: { email: string; password: string; name: string },
  tenantCode: string | null = null,
): Promise<Line> {
  const control = app.app.get<SqlDatabase>(CONTROL_DATABASE);
  const password = role === 'ADMIN' && adminFromEnv ? '(password from ORDO_ADMIN_PASSWORD)' : person.password;
  const what = role.toLowerCase();
  const accounts = app.app.get(Accounts);
  const existing = await accounts.findByEmail(person.email);
  if (existing) {
    if (existing.role !== role || existing.tenantCode !== tenantCode) {
      throw new Error(
        `${person.email} exists, but as ${existing.role} ${existing.tenantCode ?? ''}, not ${role} ${tenantCode ?? ''}`,
      );
    }
    return { created: false, what, detail: `${person.email} / ${password}${ofTenant(tenantCode)}` };
  }
  const passwordHash = await app.app.get(PasswordHasher).hash(person.password);
  await app.app.get(UnitOfWork).run(control, async (tx, emit) => {
    if (await accounts.emailTaken(person.email, tx)) {
      throw new Error(`${person.email} belongs to a deleted account; pick another email`);
    }
    await accounts.create(tx, emit, { email: person.email, name: person.name, passwordHash, role, tenantCode });
  });
  return { created: true, what, detail: `${person.email} / ${password}${ofTenant(tenantCode)}` };
}

function ofTenant(code: string | null): string {
  return code ? ` (${code})` : '';
}

/** demo_shop, READY, owned by the demo merchant: requested (or retried) and awaited as needed. */
async function ensureTenant(app: Ordo): Promise<Line[]> {
  const tenants = app.app.get(TenantsService);
  let tenant = await tenants.find(TENANT);
  const created = !tenant;
  if (!tenant) {
    const result = await tenants.create({
      code: TENANT,
      name: 'Demo Shop',
      currency: 'EUR',
      pickup: { lat: 52.5219, lng: 13.4132, address: 'Alexanderplatz 1, 10178 Berlin' },
      owner: MERCHANT,
    });
    if (!result.ok) throw new Error(`cannot create ${TENANT}: ${MERCHANT.email} already belongs to another account`);
    tenant = result.tenant;
  } else if (tenant.status === 'FAILED') {
    console.log(`${TENANT} had failed (${tenant.failureReason ?? 'no reason'}); retrying`);
    await tenants.retry(TENANT);
  }
  const ready = await waitUntilReady(tenants);
  const tenantLine = { created, what: 'tenant', detail: `${TENANT} (READY, schema version ${ready.schemaVersion})` };
  // A new tenant's owner was created with it; an existing tenant still gets its demo merchant back if it is gone.
  const merchant = created
    ? { created, what: 'merchant', detail: `${MERCHANT.email} / ${MERCHANT.password}${ofTenant(TENANT)}` }
    : await ensureUser(app, 'MERCHANT', MERCHANT, TENANT);
  return [tenantLine, merchant];
}

async function waitUntilReady(tenants: TenantsService): Promise<Tenant> {
  const deadline = Date.now() + PROVISIONING_TIMEOUT_MS;
  for (;;) {
    const tenant = await tenants.find(TENANT);
    if (!tenant) throw new Error(`${TENANT} vanished while provisioning`);
    if (tenant.status === 'READY') return tenant;
    if (tenant.status === 'FAILED') throw new Error(`${TENANT} failed to provision: ${tenant.failureReason}`);
    if (tenant.status === 'SUSPENDED') throw new Error(`${TENANT} is SUSPENDED; resume it first`);
    if (Date.now() > deadline) throw new Error(`${TENANT} was not READY after ${PROVISIONING_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
