import { DRIVER_STATUSES, VEHICLE_STATUSES, VENDOR_STATUSES } from './fleet.tables.js';

export { DRIVER_STATUSES, VEHICLE_STATUSES, VENDOR_STATUSES };
export type VendorStatus = (typeof VENDOR_STATUSES)[number];
export type DriverStatus = (typeof DRIVER_STATUSES)[number];
export type VehicleStatus = (typeof VEHICLE_STATUSES)[number];

/**
 * A driver's verification (their licence, checked by an ADMIN) as data.
 *
 *   PENDING ──verify──▶ VERIFIED
 *      │                 │   ▲
 *      └──reject──▶ REJECTED ┘  (an admin may revoke a verification, or reverse a rejection)
 */
export const DRIVER_TRANSITIONS: Readonly<Record<DriverStatus, readonly DriverStatus[]>> = {
  PENDING: ['VERIFIED', 'REJECTED'],
  VERIFIED: ['REJECTED'],
  REJECTED: ['VERIFIED'],
};

/**
 * A vehicle's verification as data. Creating a vehicle, or changing what verification looks at,
 * (re)submits it; the `vehicle-verifier` consumer decides; the `vehicle-document-expiry` job suspends
 * a verified vehicle whose documents ran out, and new documents resubmit it.
 *
 *   (create) ─▶ SUBMITTED ──verifier──▶ VERIFIED ──expiry job──▶ SUSPENDED
 *                  ▲  │                    │                         │
 *                  │  └──verifier──▶ REJECTED                        │
 *                  └──── update (plate, year, class, capacity, documents) from any status
 */
export const VEHICLE_TRANSITIONS: Readonly<Record<VehicleStatus, readonly VehicleStatus[]>> = {
  SUBMITTED: ['SUBMITTED', 'VERIFIED', 'REJECTED'],
  VERIFIED: ['SUBMITTED', 'SUSPENDED'],
  REJECTED: ['SUBMITTED'],
  SUSPENDED: ['SUBMITTED'],
};

export function canTransitionDriver(from: DriverStatus, to: DriverStatus): boolean {
  return DRIVER_TRANSITIONS[from].includes(to);
}

export function canTransitionVehicle(from: VehicleStatus, to: VehicleStatus): boolean {
  return VEHICLE_TRANSITIONS[from].includes(to);
}
