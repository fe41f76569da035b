import pg from 'pg';
import { migrate } from '../../src/infra/database/migrator.js';
import { PostgresDatabase } from '../../src/infra/database/postgres-database.js';
import { controlMigrationsHash } from './migrations-hash.js';
import { serviceUrls, uniqueSuffix } from './services.js';

export function databaseUrl(name: string): string {
  const url = new URL(serviceUrls.postgres);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serviceUrls.postgres });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Builds the migrated template once per migration set; parallel test files wait on an advisory lock. */
async function ensureTemplate(): Promise<string> {
  const template = `ordo_test_template_${controlMigrationsHash()}`;
  await withAdmin(async (admin) => {
    await admin.query(`select pg_advisory_lock(hashtext('ordo:test-template'))`);
    try {
      const exists = await admin.query('select 1 from pg_database where datname = $1', [template]);
      if (exists.rowCount) return;
      const stale = await admin.query(`select datname from pg_database where datname like 'ordo_test_template_%'`);
      for (const { datname } of stale.rows as { datname: string }[]) {
        await admin.query(`drop database if exists "${datname}" with (force)`);
      }
      await admin.query(`create database "${template}"`);
      const database = new PostgresDatabase({ url: databaseUrl(template), poolSize: 1 });
      try {
        await migrate(database, 'control');
      } finally {
        await database.close();
      }
    } finally {
      await admin.query(`select pg_advisory_unlock(hashtext('ordo:test-template'))`);
    }
  });
  return template;
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated control database cloned from the template (fast), dropped by `drop()`. */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const template = await ensureTemplate();
  const name = `ordo_test_${label}_${uniqueSuffix()}`;
  await withAdmin(async (admin) => {
    // Cloning needs the template to have no other sessions; retry briefly if another file is cloning it.
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        return;
      } catch (error) {
        if (attempt >= 20 || !/being accessed by other users/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 200));
      }
    }
  });
  return {
    name,
    url: databaseUrl(name),
    drop: () =>
      withAdmin((admin) => admin.query(`drop database if exists "${name}" with (force)`).then(() => undefined)),
  };
}

/** Drops tenant databases a test created under its own prefix. */
export async function dropDatabasesWithPrefix(prefix: string): Promise<void> {
  await withAdmin(async (admin) => {
    const found = await admin.query(`select datname from pg_database where datname like $1`, [`${prefix}%`]);
    for (const { datname } of found.rows as { datname: string }[]) {
      await admin.query(`drop database if exists "${datname}" with (force)`);
    }
  });
}
