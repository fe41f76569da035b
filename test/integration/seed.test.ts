import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { projectPath } from '../../src/common/project-path.js';
import { PgliteDatabase } from '../../src/infra/database/pglite-database.js';

const run = promisify(execFile);

/** Variables that would point the seed elsewhere than the temporary embedded database. */
const FOREIGN = [
  'DATABASE_URL',
  'RABBITMQ_URL',
  'REDIS_URL',
  'ORDO_ADMIN_EMAIL',
  'ORDO_ADMIN_PASSWORD',
  'MODE',
  'PORT',
];

describe('npm run seed and npm run migrate (embedded)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ordo-seed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cleanEnv = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !FOREIGN.includes(name)));

  async function seed(): Promise<string> {
    // cwd is the temporary folder, so no .env of the checkout is read.
    const { stdout } = await run(process.execPath, [projectPath('dist', 'scripts', 'seed.js')], {
      cwd: dir,
      env: { ...cleanEnv(), NODE_ENV: 'development', DATA_DIR: join(dir, 'data') },
      timeout: 120_000,
    });
    return stdout;
  }

  it('loads the documented demo data, then finds it all there on a second run', async () => {
    const first = await seed();
    for (const expected of [
      /created\s+admin\s+admin@ordo\.local \/ admin-password/,
      /created\s+tenant\s+demo_shop \(READY, schema version [1-9]\d*\)/,
      /created\s+merchant\s+merchant@ordo\.local \/ merchant-password \(demo_shop\)/,
      /created\s+customer\s+customer@ordo\.local \/ customer-password/,
      /4 created, 0 already there/,
    ]) {
      assert.match(first, expected);
    }

    const second = await seed();
    assert.doesNotMatch(second, /created /);
    assert.match(second, /Nothing new: all 4 demo records were already there/);

    const database = await PgliteDatabase.open({ dataDir: join(dir, 'data', 'pgdata') });
    try {
      const users = await database.query<{ email: string; role: string; tenant_code: string | null }>(
        sql`select email, role, tenant_code from users order by email`,
      );
      assert.deepEqual(users, [
        { email: 'admin@ordo.local', role: 'ADMIN', tenant_code: null },
        { email: 'customer@ordo.local', role: 'CUSTOMER', tenant_code: null },
        { email: 'merchant@ordo.local', role: 'MERCHANT', tenant_code: 'demo_shop' },
      ]);
      // Besides the platform's own `rides` tenant, which every start ensures.
      const tenants = await database.query<{ code: string; status: string }>(
        sql`select code, status from tenants where code <> 'rides' order by code`,
      );
      assert.deepEqual(tenants, [{ code: 'demo_shop', status: 'READY' }]);
      // The second run emitted nothing: one event per record, from the first run only (the rides
      // tenant's own events aside).
      const events = await database.query<{ type: string; count: number }>(
        sql`select type, count(*)::int as count from outbox
            where type in ('user.created', 'tenant.requested', 'tenant.ready') and tenant is distinct from 'rides'
            group by type order by type`,
      );
      assert.deepEqual(events, [
        { type: 'tenant.ready', count: 1 },
        { type: 'tenant.requested', count: 1 },
        { type: 'user.created', count: 3 },
      ]);
    } finally {
      await database.close();
    }
  });

  it('npm run migrate records each tenant database’s schema version on its tenant row', async () => {
    const dataDir = join(dir, 'data', 'pgdata');
    let database = await PgliteDatabase.open({ dataDir });
    const [before] = await database.query<{ version: number }>(
      sql`select schema_version as version from tenants where code = 'demo_shop'`,
    );
    await database.query(sql`update tenants set schema_version = 0 where code = 'demo_shop'`);
    await database.close();

    const { stdout } = await run(process.execPath, [projectPath('dist', 'scripts', 'migrate.js')], {
      cwd: dir,
      env: { ...cleanEnv(), NODE_ENV: 'development', DATA_DIR: join(dir, 'data') },
      timeout: 120_000,
    });
    assert.match(stdout, /tenant demo_shop \(embedded\): version \d+/);

    database = await PgliteDatabase.open({ dataDir });
    try {
      const [after] = await database.query<{ version: number }>(
        sql`select schema_version as version from tenants where code = 'demo_shop'`,
      );
      assert.ok(before && before.version >= 1);
      assert.equal(after?.version, before.version);
    } finally {
      await database.close();
    }
  });
});
