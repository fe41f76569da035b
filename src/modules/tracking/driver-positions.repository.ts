import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../infra/database/sql-database.js';
import type { Fix } from './location.dto.js';
import { driverPositions } from './tracking.tables.js';

export interface PersistedPosition {
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  at: Date;
}

/** Drivers' last-known positions. Who drives and who is online is the fleet's (`FleetDrivers`). */
export const driverPositionsRepository = {
  /**
   * Writes `fix` as the driver's last-known position, throttled, in one statement. An existing row is
   * replaced only if it was written at least `throttleMs` ago and `fix` is newer than what it holds,
   * so a driver costs at most one row write per `throttleMs` however often they report, and a late
   * batch never moves the row backwards.
   */
  async persist(db: SqlDatabase, driverId: string, fix: Fix, throttleMs: number): Promise<void> {
    await db.query(sql`
      insert into ${driverPositions} as p (driver_id, lat, lng, heading, speed, at, updated_at)
      values (${driverId}::uuid, ${fix.lat}::double precision, ${fix.lng}::double precision,
              ${fix.heading}::double precision, ${fix.speed}::double precision, ${fix.at.toISOString()}::timestamptz,
              now())
      on conflict (driver_id) do update
        set lat = excluded.lat, lng = excluded.lng, heading = excluded.heading, speed = excluded.speed,
            at = excluded.at, updated_at = excluded.updated_at
        where p.updated_at < now() - ${throttleMs}::double precision * interval '1 millisecond'
          and excluded.at > p.at`);
  },

  async find(db: SqlDatabase, driverId: string): Promise<PersistedPosition | undefined> {
    const [row] = await db.transaction((tx) =>
      tx
        .select({
          lat: driverPositions.lat,
          lng: driverPositions.lng,
          heading: driverPositions.heading,
          speed: driverPositions.speed,
          at: driverPositions.at,
        })
        .from(driverPositions)
        .where(eq(driverPositions.driverId, driverId)),
    );
    return row;
  },

  /** Of `driverIds`, those with a persisted position taken at `since` or later. */
  async reportedSince(db: SqlDatabase, driverIds: readonly string[], since: Date): Promise<Set<string>> {
    if (driverIds.length === 0) return new Set();
    const rows = await db.transaction((tx) =>
      tx
        .select({ driverId: driverPositions.driverId })
        .from(driverPositions)
        .where(and(inArray(driverPositions.driverId, [...driverIds]), gte(driverPositions.at, since))),
    );
    return new Set(rows.map((row) => row.driverId));
  },
};
