import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { SqlDatabase } from '../../infra/database/sql-database.js';
import { drivers } from '../fleet/fleet.tables.js';
import type { Fix } from './location.dto.js';
import { driverPositions } from './tracking.tables.js';

/** The reporting user's driver profile, as a position report sees it. */
export interface Reporter {
  driverId: string;
  online: boolean;
  /** Whether this report's fix became the persisted last-known position (see `report`). */
  persisted: boolean;
}

export interface PersistedPosition {
  lat: number;
  lng: number;
  heading: number | null;
  speed: number | null;
  at: Date;
}

// Tracking reads the fleet's `drivers` row (who is reporting, are they online) but never writes it:
// taking drivers offline goes through the fleet's takeDriversOffline.
export const driverPositionsRepository = {
  /**
   * The hot path of every position report, in one statement: finds the user's driver profile and, if
   * the driver is online, writes `fix` as the last-known position, throttled. An existing row is
   * replaced only if it was written at least `throttleMs` ago and `fix` is newer than what it holds,
   * so a driver costs at most one row write per `throttleMs` however often they report, and a late
   * batch never moves the row backwards. Undefined when the user has no driver profile.
   */
  async report(db: SqlDatabase, userId: string, fix: Fix, throttleMs: number): Promise<Reporter | undefined> {
    const [row] = await db.query<{ id: string; online: boolean; written: number }>(sql`
      with driver as (
        select ${drivers.id} as id, ${drivers.online} as online from ${drivers} where ${drivers.userId} = ${userId}
      ), written as (
        insert into ${driverPositions} as p (driver_id, lat, lng, heading, speed, at, updated_at)
        select id, ${fix.lat}::double precision, ${fix.lng}::double precision, ${fix.heading}::double precision,
               ${fix.speed}::double precision, ${fix.at.toISOString()}::timestamptz, now()
        from driver where online
        on conflict (driver_id) do update
          set lat = excluded.lat, lng = excluded.lng, heading = excluded.heading, speed = excluded.speed,
              at = excluded.at, updated_at = excluded.updated_at
          where p.updated_at < now() - ${throttleMs}::double precision * interval '1 millisecond'
            and excluded.at > p.at
        returning 1
      )
      select id, online, (select count(*) from written)::int as written from driver`);
    return row && { driverId: row.id, online: row.online, persisted: row.written > 0 };
  },

  /** The driver's persisted position; with `userId`, only if the driver is that user (their own). */
  async find(db: SqlDatabase, driverId: string, userId?: string): Promise<PersistedPosition | undefined> {
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
        .innerJoin(drivers, eq(drivers.id, driverPositions.driverId))
        .where(and(eq(driverPositions.driverId, driverId), userId ? eq(drivers.userId, userId) : undefined)),
    );
    return row;
  },

  /**
   * Online drivers, online since before `cutoff`, with no persisted position taken since then: the
   * silent-drivers job's candidates besides the live index's stale entries. By id, after `after`.
   */
  async onlineWithoutFixSince(db: SqlDatabase, cutoff: Date, after: string | undefined, limit: number) {
    const rows = await db.transaction((tx) =>
      tx
        .select({ id: drivers.id })
        .from(drivers)
        .leftJoin(driverPositions, eq(driverPositions.driverId, drivers.id))
        .where(
          and(
            eq(drivers.online, true),
            lt(drivers.onlineSince, cutoff),
            or(isNull(driverPositions.at), lt(driverPositions.at, cutoff)),
            after ? gt(drivers.id, after) : undefined,
          ),
        )
        .orderBy(asc(drivers.id))
        .limit(limit),
    );
    return rows.map((row) => row.id);
  },
};
