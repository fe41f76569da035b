import type { SqlDatabase } from '../../infra/database/sql-database.js';
import type { TenantDatabases } from '../../infra/database/tenant-databases.port.js';
import { tenantsRepository } from './tenants.repository.js';

/**
 * Copies each tenant database's schema version, as the TenantDatabases registry records it, onto the
 * tenant's row, so `GET /api/tenants` shows what `npm run migrate` did. Reads the registry rather than
 * one run's results, so tenants migrated before a later one failed are recorded too. Returns how
 * many tenant rows changed.
 */
export async function recordTenantSchemaVersions(
  control: SqlDatabase,
  databases: Pick<TenantDatabases, 'list'>,
): Promise<number> {
  const registered = await databases.list();
  return control.transaction(async (tx) => {
    let changed = 0;
    for (const { code, version } of registered) {
      if (await tenantsRepository.recordSchemaVersion(tx, code, version)) changed++;
    }
    return changed;
  });
}
