import { isRideClass, MIN_SEATS, type VehicleClass } from './vehicle-classes.js';

/**
 * A plate as the platform stores and compares it: upper case, without spaces, so "b ab 123" and
 * "BAB123" are one plate (unique across the platform).
 */
export function normalisePlate(plate: string): string {
  return plate.replace(/\s+/g, '').toUpperCase();
}

/** What a plate may look like once normalised: 2 to 10 of A–Z, 0–9 and hyphens. Checked by the verifier. */
export const PLATE_PATTERN = /^[A-Z0-9-]{2,10}$/;

/** Vehicles older than this many model years are refused: year ≥ current year − 15. */
export const MAX_VEHICLE_AGE_YEARS = 15;

/** Today's date in UTC, `YYYY-MM-DD`: documents and licences are valid through their expiry day. */
export function todayUtc(now: Date): string {
  return now.toISOString().slice(0, 10);
}

/** A document expiring on `expiry` (`YYYY-MM-DD`) is valid through that day (UTC). */
export function isExpired(expiry: string, today: string): boolean {
  return expiry < today;
}

/** What the verifier looks at. */
export interface VehicleFacts {
  plate: string;
  year: number;
  class: VehicleClass;
  capacity: number;
  insuranceExpiry: string;
  inspectionExpiry: string;
}

/**
 * Why a vehicle cannot be verified, one sentence per failed rule; empty when it passes. Pure, so the
 * `vehicle-verifier` consumer and the unit tests apply the same rules:
 * - the plate matches PLATE_PATTERN;
 * - insurance and inspection are both valid today;
 * - the vehicle is at most MAX_VEHICLE_AGE_YEARS model years old (year ≥ current year − 15);
 * - a ride class has its minimum of passenger seats (MIN_SEATS).
 */
export function vehicleRejectionReasons(vehicle: VehicleFacts, today: string): string[] {
  const reasons: string[] = [];
  if (!PLATE_PATTERN.test(vehicle.plate)) {
    reasons.push(`plate "${vehicle.plate}" is not 2 to 10 letters A-Z, digits or hyphens`);
  }
  reasons.push(...expiredDocuments(vehicle, today));
  const oldest = Number(today.slice(0, 4)) - MAX_VEHICLE_AGE_YEARS;
  if (vehicle.year < oldest) {
    reasons.push(
      `built in ${vehicle.year}: vehicles from before ${oldest} are too old (${MAX_VEHICLE_AGE_YEARS} years)`,
    );
  }
  if (isRideClass(vehicle.class) && vehicle.capacity < MIN_SEATS[vehicle.class]) {
    reasons.push(
      `class ${vehicle.class} needs at least ${MIN_SEATS[vehicle.class]} passenger seats, this one has ${vehicle.capacity}`,
    );
  }
  return reasons;
}

/** The documents of a vehicle that have expired by `today`, as reasons (the expiry job's suspension). */
export function expiredDocuments(
  vehicle: Pick<VehicleFacts, 'insuranceExpiry' | 'inspectionExpiry'>,
  today: string,
): string[] {
  const reasons: string[] = [];
  if (isExpired(vehicle.insuranceExpiry, today)) reasons.push(`insurance expired on ${vehicle.insuranceExpiry}`);
  if (isExpired(vehicle.inspectionExpiry, today)) reasons.push(`inspection expired on ${vehicle.inspectionExpiry}`);
  return reasons;
}
