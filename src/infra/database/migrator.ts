import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { projectPath } from '../../common/project-path.js';
import { rowsOf, type SqlDatabase } from './sql-database.js';

export type MigrationSetName = 'control' | 'tenant';

interface Migration {
  tag: string;
  statements: string[];
}

export interface MigrationResult {
  applied: string[];
  /** How many migrations the database has after this run: its schema version. */
  version: number;
}

interface Journal {
  entries: { idx: number; tag: string }[];
}

const cache = new Map<MigrationSetName, Migration[]>();

/** The committed migrations drizzle-kit generated into `migrations/<set>`, in order. */
export function loadMigrations(set: MigrationSetName): Migration[] {
  const cached = cache.get(set);
  if (cached) return cached;
  const folder = projectPath('migrations', set);
  const journal = JSON.parse(readFileSync(join(folder, 'meta', '_journal.json'), 'utf8')) as Journal;
  const migrations = [...journal.entries]
    .sort((a, b) => a.idx - b.idx)
    .map(({ tag }) => ({
      tag,
      statements: readFileSync(join(folder, `${tag}.sql`), 'utf8')
        .split('--> statement-breakpoint')
        .map((statement) => statement.trim())
        .filter(Boolean),
    }));
  cache.set(set, migrations);
  return migrations;
}

export function latestVersion(set: MigrationSetName): number {
  return loadMigrations(set).length;
}

/**
 * Applies the pending migrations of a set in one transaction under an advisory lock, so several
 * processes starting at once migrate once and the others wait, then find nothing to do.
 *
 * drizzle-kit qualifies foreign-key targets with `"public".`; the qualifier is dropped so the same
 * migration also builds a tenant schema inside the embedded database, where the search path decides.
 */
export async function migrate(database: SqlDatabase, set: MigrationSetName): Promise<MigrationResult> {
  const migrations = loadMigrations(set);
  return database.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`ordo:migrate:${set}:${database.name}`}))`);
    await tx.execute(
      sql`create table if not exists ordo_migrations (
        tag text primary key,
        applied_at timestamptz not null default now()
      )`,
    );
    const done = new Set((await rowsOf<{ tag: string }>(tx, sql`select tag from ordo_migrations`)).map((r) => r.tag));
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.tag)) continue;
      for (const statement of migration.statements) {
        await tx.execute(sql.raw(statement.replaceAll('"public".', '')));
      }
      await tx.execute(sql`insert into ordo_migrations (tag) values (${migration.tag})`);
      applied.push(migration.tag);
    }
    return { applied, version: done.size + applied.length };
  });
}
