import type { Env } from '../src/config/env.schema.js';
import { DataDirInUseError, dataDirHolder } from '../src/infra/database/data-dir-lock.js';
import { IN_MEMORY } from '../src/infra/infra.factories.js';

/**
 * For scripts that open the embedded database themselves (seed, migrate, backfill): while an Ordo process
 * holds DATA_DIR, say which one and exit, before anything starts. The lock itself (taken when the
 * database opens) is what guarantees it; this is the one-line answer an operator needs.
 */
export function refuseBusyDataDir(env: Env, command: string): void {
  if (env.DATABASE_URL || env.DATA_DIR === IN_MEMORY) return;
  const holder = dataDirHolder(env.DATA_DIR);
  if (!holder) return;
  console.error(`${command}: ${new DataDirInUseError(env.DATA_DIR, holder).message} Then run ${command} again.`);
  process.exit(1);
}
