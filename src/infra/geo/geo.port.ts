/**
 * The geo port: the live index of online drivers' positions that dispatch matching searches. In-process
 * when REDIS_URL is unset, Redis GEO when set (DESIGN §4, §8). It holds positions only; who is online,
 * idle or in the right vehicle class is the database's business, and the durable last-known position
 * is a separate, throttled row.
 *
 * Contract:
 * - `upsert` applies each position unless the index already holds a newer one for that driver (`at`
 *   earlier than the stored `at`), so updates arriving out of order never move a driver backwards.
 *   An equal `at` is applied (last write wins), so a retried batch is harmless. Positions of one batch
 *   apply in order; each driver's position and timestamp change together or not at all.
 * - `at` is compared with the `now` of later queries, so it should come from the server's clock (or a
 *   device clock the caller has checked): a timestamp in the future keeps a driver fresh until then.
 * - `nearest` returns drivers within `radiusKm` of the point whose `at` is no older than
 *   `freshWithinMs` before `now`, nearest first, at most `limit`. Stale entries stay in the index
 *   (so `staleSince` can find them) but are never returned. Distances are great-circle (haversine on
 *   Redis's Earth radius, so both adapters agree at the edge of a radius).
 * - Latitude must be within [-90, 90] and longitude within [-180, 180], finite; anything else, and
 *   non-positive radii or limits, throw `InvalidGeoInputError` before anything is written. That is a
 *   caller's bug: validate at the edge (DTOs), not here.
 * - Unlike the cache, the index does not degrade silently: when its store is unreachable calls reject
 *   with `GeoIndexUnavailableError`. An empty answer would read as "no driver nearby" and fail orders
 *   that a retry a few seconds later would have matched.
 * - Coordinates read back from Redis are its 52-bit geohash of what was written: within a metre.
 */
export interface GeoIndexPort {
  readonly kind: 'memory' | 'redis';
  /** Returns how many of the positions were applied (the rest were older than what the index holds). */
  upsert(positions: readonly DriverPosition[]): Promise<number>;
  /**
   * Drops a driver from the index; returns whether it was there. With `seenBefore`, only if its last
   * position is older than that: the stale-driver job's compare-and-delete, so a driver who reported
   * again between `staleSince` and `remove` stays.
   */
  remove(driverId: string, options?: { seenBefore?: Date }): Promise<boolean>;
  nearest(query: NearestQuery): Promise<NearbyDriver[]>;
  /** The driver's last position, fresh or not; undefined when the index does not hold one. */
  position(driverId: string): Promise<DriverPosition | undefined>;
  /** Drivers whose last position is older than `cutoff` (strictly), oldest first, at most `limit`. */
  staleSince(cutoff: Date, limit: number): Promise<string[]>;
  isHealthy(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DriverPosition {
  driverId: string;
  lat: number;
  lng: number;
  /** When the driver was at that position. */
  at: Date;
}

export interface NearestQuery {
  lat: number;
  lng: number;
  radiusKm: number;
  /** Most drivers returned. */
  limit: number;
  /** Drivers whose last position is older than this many ms before `now` are left out. */
  freshWithinMs: number;
  /** Defaults to the current time. */
  now?: Date;
}

export interface NearbyDriver extends DriverPosition {
  distanceKm: number;
}

/** A coordinate, radius, limit or timestamp the index cannot take: a bug in the caller. */
export class InvalidGeoInputError extends RangeError {
  override readonly name = 'InvalidGeoInputError';
}

/** The index's store did not answer; retry later. */
export class GeoIndexUnavailableError extends Error {
  override readonly name = 'GeoIndexUnavailableError';
}

/** A position at most this old counts as live: matching uses only these (DESIGN §8). */
export const LIVE_POSITION_MS = 60_000;

export const GEO_INDEX = Symbol('GEO_INDEX');
