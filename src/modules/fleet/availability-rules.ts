import type { DriverStatus, VehicleStatus, VendorStatus } from './fleet-states.js';
import { isExpired } from './vehicle-rules.js';

export const ONLINE_REFUSAL_CODES = [
  'licence_not_verified',
  'licence_expired',
  'no_active_vehicle',
  'vehicle_not_verified',
  'vehicle_documents_expired',
  'vendor_not_active',
] as const;

export const ONLINE_REFUSAL_FIELDS = ['licence', 'activeVehicle', 'vendor'] as const;

/** One reason a driver may not go online. `field` names what the driver (or an admin) must fix. */
export interface OnlineRefusal {
  code: (typeof ONLINE_REFUSAL_CODES)[number];
  field: (typeof ONLINE_REFUSAL_FIELDS)[number];
  message: string;
}

export interface AvailabilityFacts {
  driver: { status: DriverStatus; licenceExpiry: string };
  /** The selected active vehicle, null when none is selected. */
  vehicle: { plate: string; status: VehicleStatus; insuranceExpiry: string; inspectionExpiry: string } | null;
  vendor: { name: string; status: VendorStatus };
}

/**
 * Why a driver may not go online (DESIGN §8), every reason at once so the app can show the whole
 * checklist; empty when they may: the licence is VERIFIED and unexpired, an active vehicle is selected,
 * VERIFIED and its documents unexpired, and the vendor is ACTIVE.
 */
export function onlineRefusals({ driver, vehicle, vendor }: AvailabilityFacts, today: string): OnlineRefusal[] {
  const refusals: OnlineRefusal[] = [];
  if (driver.status !== 'VERIFIED') {
    refusals.push({
      code: 'licence_not_verified',
      field: 'licence',
      message: `your licence is ${driver.status}, not VERIFIED`,
    });
  }
  if (isExpired(driver.licenceExpiry, today)) {
    refusals.push({
      code: 'licence_expired',
      field: 'licence',
      message: `your licence expired on ${driver.licenceExpiry}`,
    });
  }
  if (!vehicle) {
    refusals.push({
      code: 'no_active_vehicle',
      field: 'activeVehicle',
      message: 'no active vehicle is selected (PATCH /api/drivers/me/vehicle)',
    });
  } else {
    if (vehicle.status !== 'VERIFIED') {
      refusals.push({
        code: 'vehicle_not_verified',
        field: 'activeVehicle',
        message: `vehicle ${vehicle.plate} is ${vehicle.status}, not VERIFIED`,
      });
    }
    const expired = [
      ...(isExpired(vehicle.insuranceExpiry, today) ? [`insurance (${vehicle.insuranceExpiry})`] : []),
      ...(isExpired(vehicle.inspectionExpiry, today) ? [`inspection (${vehicle.inspectionExpiry})`] : []),
    ];
    if (expired.length > 0) {
      refusals.push({
        code: 'vehicle_documents_expired',
        field: 'activeVehicle',
        message: `vehicle ${vehicle.plate}: ${expired.join(' and ')} expired`,
      });
    }
  }
  if (vendor.status !== 'ACTIVE') {
    refusals.push({
      code: 'vendor_not_active',
      field: 'vendor',
      message: `your vendor ${vendor.name} is ${vendor.status}`,
    });
  }
  return refusals;
}
