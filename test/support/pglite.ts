import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { projectPath } from '../../src/common/project-path.js';
import { migrate } from '../../src/infra/database/migrator.js';
import { PgliteDatabase } from '../../src/infra/database/pglite-database.js';
import { controlMigrationsHash } from './migrations-hash.js';

function snapshotPath(): string {
  return projectPath('dist', '.cache', `pglite-control-${controlMigrationsHash()}.tar`);
}

/**
 * An in-memory embedded database with the control migrations applied. The first call in a checkout
 * migrates and saves a snapshot; later ones load it (about 1 s instead of 3–4 s).
 */
export async function openEmbeddedDatabase(): Promise<PgliteDatabase> {
  const path = snapshotPath();
  if (existsSync(path)) {
    return PgliteDatabase.open({ loadDataDir: new Blob([readFileSync(path)]) });
  }
  const database = await PgliteDatabase.open();
  await migrate(database, 'control');
  const dump = await database.client.dumpDataDir('none');
  mkdirSync(projectPath('dist', '.cache'), { recursive: true });
  const temporary = `${path}.${process.pid}`;
  writeFileSync(temporary, Buffer.from(await dump.arrayBuffer()));
  renameSync(temporary, path);
  return database;
}
