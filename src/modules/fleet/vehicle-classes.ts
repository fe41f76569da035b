import { VEHICLE_CLASSES } from './fleet.tables.js';

export { VEHICLE_CLASSES };
export type VehicleClass = (typeof VEHICLE_CLASSES)[number];

/** Classes that carry goods: any of them serves any delivery. */
export const DELIVERY_CLASSES = ['BIKE', 'CAR', 'VAN'] as const satisfies readonly VehicleClass[];
/** Classes that carry passengers: each serves rides booked in exactly that class. */
export const RIDE_CLASSES = ['ECONOMY', 'COMFORT', 'XL'] as const satisfies readonly VehicleClass[];
export type RideClass = (typeof RIDE_CLASSES)[number];

/** What dispatch asks a vehicle to do. */
export type ServiceRequest = { kind: 'DELIVERY' } | { kind: 'RIDE'; rideClass: RideClass };

export function isRideClass(vehicleClass: VehicleClass): vehicleClass is RideClass {
  return (RIDE_CLASSES as readonly VehicleClass[]).includes(vehicleClass);
}

/**
 * Whether a vehicle of this class may take the job: delivery classes (BIKE, CAR, VAN) serve every
 * delivery and no ride; ride classes (ECONOMY, COMFORT, XL) serve rides of exactly their class and
 * no delivery. No upgrades: a COMFORT car does not pick up an ECONOMY ride, so a rider gets (and pays
 * for) what they booked, and matching stays a simple equality dispatch can index.
 */
export function vehicleServes(vehicleClass: VehicleClass, request: ServiceRequest): boolean {
  switch (request.kind) {
    case 'DELIVERY':
      return !isRideClass(vehicleClass);
    case 'RIDE':
      return vehicleClass === request.rideClass;
  }
}

/** Fewest passenger seats (not counting the driver's) a ride class needs; delivery classes need none. */
export const MIN_SEATS: Readonly<Record<RideClass, number>> = { ECONOMY: 3, COMFORT: 3, XL: 5 };
