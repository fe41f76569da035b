import { InvalidGeoInputError, type DriverPosition, type NearestQuery } from './geo.port.js';

/**
 * Redis's Earth radius (geohash_helper.c). Both adapters measure with it, so a driver at the edge of a
 * radius is in or out for both alike.
 */
export const EARTH_RADIUS_KM = 6372.797560856;

const RAD = Math.PI / 180;

export interface Point {
  lat: number;
  lng: number;
}

/**
 * Great-circle distance in kilometres, the formula Redis uses for GEOSEARCH: the one distance Ordo
 * measures with, for matching drivers, delivery fees, fares, trails and ETAs alike.
 */
export function haversineKm(a: Point, b: Point): number {
  return kmOfTerm(haversineTerm(a.lat, a.lng, Math.cos(a.lat * RAD), b.lat, b.lng, Math.cos(b.lat * RAD)));
}

/**
 * The haversine formula up to its last step: rises with distance, so searches compare and sort by it
 * and convert only what they return. Callers pass cos(latitude) they have kept, saving two cosines.
 */
export function haversineTerm(
  lat1: number,
  lng1: number,
  cosLat1: number,
  lat2: number,
  lng2: number,
  cosLat2: number,
): number {
  const u = Math.sin(((lat2 - lat1) * RAD) / 2);
  const v = Math.sin(((lng2 - lng1) * RAD) / 2);
  return Math.min(1, u * u + cosLat1 * cosLat2 * v * v);
}

export function kmOfTerm(term: number): number {
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(term));
}

/** The term of a distance (1 for half the Earth's circumference or more). */
export function termOfKm(km: number): number {
  if (km >= Math.PI * EARTH_RADIUS_KM) return 1;
  const s = Math.sin(km / EARTH_RADIUS_KM / 2);
  return s * s;
}

export function cosLatitude(lat: number): number {
  return Math.cos(lat * RAD);
}

/** The smallest latitude/longitude box holding every point within `radiusKm` of the centre. */
export interface BoundingBox {
  latMin: number;
  latMax: number;
  /** Not normalised: may run below -180 or above 180 when the box crosses the antimeridian. */
  lngMin: number;
  lngMax: number;
  /** A pole lies within the radius (or the radius is a hemisphere or more): every longitude is in. */
  allLongitudes: boolean;
}

export function boundingBox(lat: number, lng: number, radiusKm: number): BoundingBox {
  const angular = radiusKm / EARTH_RADIUS_KM;
  const latMin = lat - angular / RAD;
  const latMax = lat + angular / RAD;
  if (latMin <= -90 || latMax >= 90 || angular >= Math.PI / 2) {
    return {
      latMin: Math.max(-90, latMin),
      latMax: Math.min(90, latMax),
      lngMin: -180,
      lngMax: 180,
      allLongitudes: true,
    };
  }
  // The circle's widest longitudes are not at the centre's latitude: asin(sin r / cos φ), not r / cos φ.
  const ratio = Math.sin(angular) / Math.cos(lat * RAD);
  if (ratio >= 1) return { latMin, latMax, lngMin: -180, lngMax: 180, allLongitudes: true };
  const dLng = Math.asin(ratio) / RAD;
  return { latMin, latMax, lngMin: lng - dLng, lngMax: lng + dLng, allLongitudes: false };
}

export function assertCoordinates(lat: unknown, lng: unknown, what: string): void {
  if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
    throw new InvalidGeoInputError(`${what}: latitude must be a finite number within [-90, 90], got ${String(lat)}`);
  }
  if (typeof lng !== 'number' || !Number.isFinite(lng) || lng < -180 || lng > 180) {
    throw new InvalidGeoInputError(`${what}: longitude must be a finite number within [-180, 180], got ${String(lng)}`);
  }
}

export function assertDriverId(driverId: unknown): asserts driverId is string {
  if (typeof driverId !== 'string' || driverId.length === 0) {
    throw new InvalidGeoInputError(`driver id must be a non-empty string, got ${String(driverId)}`);
  }
}

function assertDate(value: unknown, what: string): asserts value is Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidGeoInputError(`${what} must be a valid Date, got ${String(value)}`);
  }
}

/** Checks a whole batch before any of it is written, so a bad entry never leaves half a batch applied. */
export function assertPositions(positions: readonly DriverPosition[]): void {
  for (const position of positions) {
    assertDriverId(position.driverId);
    assertCoordinates(position.lat, position.lng, `position of driver ${position.driverId}`);
    assertDate(position.at, `position time of driver ${position.driverId}`);
  }
}

/** Checks a query and returns the earliest `at` still fresh, in epoch ms. */
export function assertQuery(query: NearestQuery): number {
  assertCoordinates(query.lat, query.lng, 'nearest');
  if (!Number.isFinite(query.radiusKm) || query.radiusKm <= 0) {
    throw new InvalidGeoInputError(`nearest: radiusKm must be a positive finite number, got ${query.radiusKm}`);
  }
  assertLimit(query.limit, 'nearest');
  if (!Number.isFinite(query.freshWithinMs) || query.freshWithinMs < 0) {
    throw new InvalidGeoInputError(`nearest: freshWithinMs must be a finite number >= 0, got ${query.freshWithinMs}`);
  }
  const now = query.now ?? new Date();
  assertDate(now, 'nearest: now');
  return now.getTime() - query.freshWithinMs;
}

export function assertLimit(limit: number, what: string): void {
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new InvalidGeoInputError(`${what}: limit must be a positive whole number, got ${limit}`);
  }
}

export function assertCutoff(cutoff: Date, what: string): void {
  assertDate(cutoff, what);
}
