import type { SQL } from 'drizzle-orm';
import type { Emit } from '../../infra/bus/unit-of-work.js';
import type { Db } from '../../infra/database/sql-database.js';
import { driversRepository, type Driver } from './drivers.repository.js';
import { DriverWentOffline, type OfflineReason } from './fleet.events.js';

/**
 * Takes every online driver matching `where` offline in the caller's transaction, emitting
 * `driver.went_offline` with the reason for each. Whatever stops a driver qualifying (a suspended
 * vendor or vehicle, a rejected or expired licence) calls this in the same transaction as its own
 * change, so "online" always means "allowed online" as of the last change.
 */
export async function takeDriversOffline(
  tx: Db,
  emit: Emit,
  where: SQL,
  reason: OfflineReason,
  claim?: { limit: number },
): Promise<Driver[]> {
  const taken = await driversRepository.takeOffline(tx, where, claim);
  for (const driver of taken) await emitWentOffline(emit, driver, reason);
  return taken;
}

/** `driver.went_offline` for a driver as they were while online. */
export async function emitWentOffline(emit: Emit, driver: Driver, reason: OfflineReason): Promise<void> {
  // The database refuses an online driver without online_since (drivers_online_since_check).
  if (!driver.onlineSince) throw new Error(`driver ${driver.id} was online without online_since`);
  await emit(DriverWentOffline, {
    aggregateId: driver.id,
    payload: {
      userId: driver.userId,
      before: { online: true, onlineSince: new Date(driver.onlineSince).toISOString() },
      after: { online: false, reason },
    },
  });
}
