import { z } from 'zod';
import type { RideClass } from '../fleet/vehicle-classes.js';
import { haversineKm, type Point } from '../../infra/geo/geo-math.js';

/** Minor units: a base, per started kilometre and per started minute. */
export interface Fare {
  base: number;
  perKm: number;
  perMinute: number;
}

export const fareSchema = z.strictObject({
  base: z.number().int().min(0),
  perKm: z.number().int().min(0),
  perMinute: z.number().int().min(0),
});

/** Defaults, overridable per class with RIDE_FARES (JSON). */
export const DEFAULT_FARES: Readonly<Record<RideClass, Fare>> = {
  ECONOMY: { base: 300, perKm: 120, perMinute: 25 },
  COMFORT: { base: 450, perKm: 170, perMinute: 35 },
  XL: { base: 600, perKm: 220, perMinute: 45 },
};

/** Straight-line distance is shorter than the road: a common detour factor for city trips. */
const ROAD_FACTOR = 1.3;
/** Average city driving speed used for the minutes part of the estimate. */
const CITY_SPEED_KMH = 25;

export interface FareEstimate {
  distanceKm: number;
  minutes: number;
  amount: number;
}

/** The price quoted before the ride (and charged: the estimate is the fare, as ride apps quote upfront). */
export function estimateFare(fare: Fare, pickup: Point, dropoff: Point): FareEstimate {
  const distanceKm = haversineKm(pickup, dropoff) * ROAD_FACTOR;
  const minutes = Math.max(1, Math.ceil((distanceKm / CITY_SPEED_KMH) * 60));
  const amount = fare.base + fare.perKm * Math.max(1, Math.ceil(distanceKm)) + fare.perMinute * minutes;
  return { distanceKm: Math.round(distanceKm * 100) / 100, minutes, amount };
}
