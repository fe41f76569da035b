import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { projectPath } from '../../src/common/project-path.js';

/** A short hash of the control migrations: a template or snapshot built from other migrations is never reused. */
export function controlMigrationsHash(): string {
  const hash = createHash('sha256');
  const folder = projectPath('migrations', 'control');
  for (const name of readdirSync(folder)
    .filter((file) => file.endsWith('.sql'))
    .sort()) {
    hash.update(readFileSync(`${folder}/${name}`));
  }
  return hash.digest('hex').slice(0, 12);
}
