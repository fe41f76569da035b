import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { latestVersion, migrate } from '../../src/infra/database/migrator.js';
import type { PgliteDatabase } from '../../src/infra/database/pglite-database.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import type { SqlDatabase } from '../../src/infra/database/sql-database.js';
import { InvalidTenantCode, UnknownTenantDatabase } from '../../src/infra/database/tenant-code.js';
import {
  TenantDatabaseManager,
  type TenantDatabaseManagerOptions,
} from '../../src/infra/database/tenant-database-manager.js';
import { TenantPoolsExhausted } from '../../src/infra/database/tenant-pool-cache.js';
import { openEmbeddedDatabase } from '../support/pglite.js';
import { databaseUrl, withAdmin } from '../support/postgres.js';
import { testLogger } from '../support/logger.js';
import { requireService, uniqueSuffix } from '../support/services.js';
import { waitFor } from '../support/wait-for.js';

const log = testLogger();
const BAD_CODES = ['../x', 'a;drop', 'ACME', 'a'.repeat(64), 'ab'];
const TENANT_VERSION = latestVersion('tenant');

/** Runs `work` over `items`, at most `limit` at a time. */
async function inBatches<T>(items: T[], limit: number, work: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function writeOwnRow(db: SqlDatabase, code: string): Promise<void> {
  await db.query(sql`insert into inbox (message_id, consumer) values (${randomUUID()}, ${code})`);
}

async function consumers(db: SqlDatabase): Promise<string[]> {
  const rows = await db.query<{ consumer: string }>(sql`select consumer from inbox order by consumer`);
  return rows.map((row) => row.consumer);
}

describe('TenantDatabaseManager on PostgreSQL', { skip: await requireService('postgres') }, () => {
  const suffix = uniqueSuffix();
  const controlName = `ordo_test_td_${suffix}`;
  const prefix = `t${suffix}_`;
  const codes = Array.from({ length: 50 }, (_, i) => `tenant_${String(i).padStart(2, '0')}`);
  /** The i-th test tenant's code. */
  const code = (i: number): string => codes[i]!;
  const poolSize = 2;
  const managers: TenantDatabaseManager[] = [];
  let control: PostgresDatabase;
  let manager: TenantDatabaseManager;
  let mostPoolsOpen = 0;

  function newManager(options: Partial<TenantDatabaseManagerOptions> = {}): TenantDatabaseManager {
    const created = new TenantDatabaseManager({
      control,
      controlUrl: databaseUrl(controlName),
      prefix,
      maxOpenPools: 10,
      poolSize,
      idleMs: 60_000,
      log,
      ...options,
    });
    managers.push(created);
    return created;
  }

  /** Our tenant databases as the server sees them; `left()` because `_` is a LIKE wildcard. */
  const tenantDatabaseNames = (): Promise<string[]> =>
    withAdmin(async (admin) => {
      const found = await admin.query<{ datname: string }>(
        'select datname from pg_database where left(datname, length($1)) = $1 order by datname',
        [prefix],
      );
      return found.rows.map((row) => row.datname);
    });

  /** Connections of tenant pools (migrations use their own short-lived `ordo-migrate` connection). */
  const connectionsByDatabase = (): Promise<Map<string, number>> =>
    withAdmin(async (admin) => {
      const found = await admin.query<{ datname: string; n: number }>(
        `select datname, count(*)::int as n from pg_stat_activity
         where left(datname, length($1)) = $1 and application_name = 'ordo-tenant' group by datname`,
        [prefix],
      );
      return new Map(found.rows.map((row) => [row.datname, row.n]));
    });

  const tenantConnections = async (): Promise<number> =>
    [...(await connectionsByDatabase()).values()].reduce((sum, n) => sum + n, 0);

  before(async () => {
    await withAdmin((admin) => admin.query(`create database "${controlName}"`));
    control = new PostgresDatabase({ url: databaseUrl(controlName), poolSize: 4 });
    await migrate(control, 'control');
    manager = newManager({ onPoolsChanged: (open) => (mostPoolsOpen = Math.max(mostPoolsOpen, open)) });
  });

  after(async () => {
    await Promise.all(managers.map((each) => each.close()));
    await control?.close();
    await withAdmin(async (admin) => {
      const found = await admin.query<{ datname: string }>(
        'select datname from pg_database where left(datname, length($1)) = $1 or datname = $2',
        [prefix, controlName],
      );
      for (const { datname } of found.rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    });
  });

  it('serves 50 tenants through at most 10 pools, each tenant seeing only its own rows', async () => {
    await inBatches(codes, 5, (code) => manager.provision(code));
    assert.equal((await tenantDatabaseNames()).length, 50);

    for (const code of codes) {
      const db = await manager.forTenant(code);
      await writeOwnRow(db, code);
      assert.deepEqual(await consumers(db), [code]);
      assert.ok(manager.openPools() <= 10, `${manager.openPools()} pools open after ${code}`);
      const connections = await tenantConnections();
      assert.ok(connections <= 10 * poolSize, `${connections} tenant connections after ${code}`);
    }

    // All 50 at once: newcomers wait for an idle pool instead of opening more.
    let mostConnections = 0;
    let burstDone = false;
    const sampler = (async () => {
      while (!burstDone) {
        mostConnections = Math.max(mostConnections, await tenantConnections());
        await delay(5);
      }
    })();
    const seen = await Promise.all(codes.map(async (code) => consumers(await manager.forTenant(code))));
    burstDone = true;
    await sampler;
    assert.deepEqual(
      seen,
      codes.map((code) => [code]),
    );
    assert.ok(mostPoolsOpen <= 10, `${mostPoolsOpen} pools were open at once`);
    assert.ok(mostConnections <= 10 * poolSize, `${mostConnections} tenant connections at once`);
    // Later tests count connections per database; this manager's warm pools would blur them.
    await manager.close();
    manager = newManager();
  });

  it('evicts the least recently used idle pool and keeps a held handle usable', async () => {
    const lru = newManager({ maxOpenPools: 2 });
    const [a, b, c] = [code(0), code(1), code(2)];
    const first = await lru.forTenant(a);
    await consumers(first);
    await consumers(await lru.forTenant(b));
    await consumers(await lru.forTenant(a)); // a is now more recent than b
    await consumers(await lru.forTenant(c)); // evicts b
    assert.equal(lru.openPools(), 2);
    await waitFor(
      async () => {
        const open = await connectionsByDatabase();
        return !open.has(`${prefix}${b}`) && open.has(`${prefix}${a}`) && open.has(`${prefix}${c}`);
      },
      { what: `${b}'s pool to close while ${a} and ${c} stay open` },
    );
    assert.deepEqual(await consumers(await lru.forTenant(b)), [b]); // evicts a
    assert.deepEqual(await consumers(first), [a]); // the old handle reopens a's pool
    await lru.close();
    assert.equal(lru.openPools(), 0);
  });

  it('makes a newcomer wait for a busy pool, and gives up after acquireTimeoutMs', async () => {
    const tight = newManager({ maxOpenPools: 1, acquireTimeoutMs: 200 });
    const [a, b] = [code(3), code(4)];
    let finish!: () => void;
    const holding = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const inTransaction = new Promise<void>((resolve) => (started = resolve));
    const busy = (await tight.forTenant(a)).transaction(async () => {
      started();
      await holding;
    });
    await inTransaction;
    await assert.rejects(tight.forTenant(b), TenantPoolsExhausted);
    const waiting = tight.forTenant(b);
    finish();
    await busy; // a's transaction was not broken by b taking its slot
    assert.deepEqual(await consumers(await waiting), [b]);
    assert.equal(tight.openPools(), 1);
  });

  it('closes pools idle for idleMs and reopens them on the next use', async () => {
    const changes: number[] = [];
    const idle = newManager({ idleMs: 150, onPoolsChanged: (open) => changes.push(open) });
    const handles = await Promise.all(codes.slice(0, 3).map((code) => idle.forTenant(code)));
    assert.equal(idle.openPools(), 3);
    await waitFor(() => idle.openPools() === 0, { what: 'idle tenant pools to close' });
    assert.equal(changes.at(-1), 0);
    assert.deepEqual(await consumers(handles[0]!), [code(0)]);
    assert.equal(idle.openPools(), 1);
  });

  it('shares one pool between concurrent forTenant calls for the same code', async () => {
    const changes: number[] = [];
    const shared = newManager({ onPoolsChanged: (open) => changes.push(open) });
    const handles = await Promise.all(Array.from({ length: 20 }, () => shared.forTenant(code(5))));
    assert.equal(shared.openPools(), 1);
    assert.deepEqual(changes, [1]);
    await Promise.all(handles.map((db) => consumers(db)));
    assert.equal(shared.openPools(), 1);
  });

  it('rejects malformed tenant codes before touching any database', async () => {
    const before = await tenantDatabaseNames();
    const listed = await manager.list();
    for (const code of BAD_CODES) {
      await assert.rejects(manager.provision(code), InvalidTenantCode, `provision(${code})`);
      await assert.rejects(manager.forTenant(code), InvalidTenantCode, `forTenant(${code})`);
      await assert.rejects(manager.drop(code), InvalidTenantCode, `drop(${code})`);
    }
    assert.deepEqual(await tenantDatabaseNames(), before);
    assert.deepEqual(await manager.list(), listed);
  });

  it('provisions idempotently, also concurrently, and migrateAll leaves every tenant at the latest version', async () => {
    const again = await manager.provision(code(0));
    assert.deepEqual(again, { code: code(0), placement: 'default', version: TENANT_VERSION, applied: [] });
    const twins = await Promise.all([manager.provision('twin'), manager.provision('twin')]);
    assert.deepEqual(
      twins.map((twin) => twin.version),
      [TENANT_VERSION, TENANT_VERSION],
    );
    await assert.rejects(manager.provision('twin', 'elsewhere'), /Unknown placement/);

    const migrated = await manager.migrateAll();
    assert.deepEqual(migrated.map((m) => m.code).sort(), [...codes, 'twin'].sort());
    assert.ok(migrated.every((m) => m.version === TENANT_VERSION && m.applied.length === 0));
    assert.ok((await manager.list()).every((row) => row.version === TENANT_VERSION && row.placement === 'default'));
  });

  it('drops a tenant database and forgets it', async () => {
    await consumers(await manager.forTenant('twin'));
    await manager.drop('twin');
    assert.ok(!(await tenantDatabaseNames()).includes(`${prefix}twin`));
    await assert.rejects(manager.forTenant('twin'), UnknownTenantDatabase);
    await assert.rejects(manager.forTenant('never_there'), UnknownTenantDatabase);
  });
});

describe('TenantDatabaseManager embedded (PGlite schemas)', () => {
  const prefix = 'ordo_tenant_';
  let control: PgliteDatabase;
  let manager: TenantDatabaseManager;

  const tenantSchemas = async (): Promise<string[]> => {
    const rows = await control.query<{ name: string }>(
      sql`select schema_name as name from information_schema.schemata where left(schema_name, ${prefix.length}) = ${prefix} order by 1`,
    );
    return rows.map((row) => row.name);
  };

  before(async () => {
    control = await openEmbeddedDatabase();
    manager = new TenantDatabaseManager({
      control,
      controlUrl: undefined,
      prefix,
      maxOpenPools: 10,
      poolSize: 2,
      idleMs: 60_000,
      log,
    });
  });

  after(async () => {
    await manager?.close();
    await control?.close();
  });

  it('provisions a schema per tenant and keeps their rows apart', async () => {
    for (const code of ['acme', 'globex']) {
      const result = await manager.provision(code);
      assert.equal(result.placement, 'embedded');
      assert.equal(result.version, TENANT_VERSION);
      await writeOwnRow(await manager.forTenant(code), code);
    }
    assert.deepEqual(await tenantSchemas(), ['ordo_tenant_acme', 'ordo_tenant_globex']);
    assert.deepEqual(await consumers(await manager.forTenant('acme')), ['acme']);
    assert.deepEqual(await consumers(await manager.forTenant('globex')), ['globex']);
    assert.equal(manager.openPools(), 0);
  });

  it('rejects malformed tenant codes before touching any schema', async () => {
    const before = await tenantSchemas();
    for (const code of BAD_CODES) {
      await assert.rejects(manager.provision(code), InvalidTenantCode, `provision(${code})`);
      await assert.rejects(manager.forTenant(code), InvalidTenantCode, `forTenant(${code})`);
    }
    assert.deepEqual(await tenantSchemas(), before);
  });

  it('provisions idempotently and migrateAll leaves every tenant at the latest version', async () => {
    assert.deepEqual(await manager.provision('acme'), {
      code: 'acme',
      placement: 'embedded',
      version: TENANT_VERSION,
      applied: [],
    });
    const migrated = await manager.migrateAll();
    assert.deepEqual(
      migrated.map((m) => [m.code, m.version]),
      [
        ['acme', TENANT_VERSION],
        ['globex', TENANT_VERSION],
      ],
    );
    assert.deepEqual(await manager.list(), [
      { code: 'acme', placement: 'embedded', version: TENANT_VERSION },
      { code: 'globex', placement: 'embedded', version: TENANT_VERSION },
    ]);
  });

  it('drops a tenant schema and forgets it', async () => {
    await manager.drop('globex');
    assert.deepEqual(await tenantSchemas(), ['ordo_tenant_acme']);
    await assert.rejects(manager.forTenant('globex'), UnknownTenantDatabase);
  });
});
