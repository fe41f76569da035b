import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';
import { DRIVER_STATUSES, VEHICLE_STATUSES, VENDOR_STATUSES } from './fleet-states.js';
import { VEHICLE_CLASSES } from './vehicle-classes.js';

// Fleet events: platform events (no tenant) in the control database. `aggregateId` is the vendor,
// driver or vehicle id. Changes carry `{ before, after }`, which is what the audit trail stores.

export const vendorSummary = z.object({
  name: z.string(),
  contactEmail: z.string(),
  contactPhone: z.string().nullable(),
  status: z.enum(VENDOR_STATUSES),
});

export const VendorCreated = defineEvent('vendor.created', z.object({ after: vendorSummary }));
export const VendorUpdated = defineEvent('vendor.updated', z.object({ before: vendorSummary, after: vendorSummary }));
export const VendorDeleted = defineEvent('vendor.deleted', z.object({ before: vendorSummary }));

const driverStatus = z.enum(DRIVER_STATUSES);

export const driverSummary = z.object({
  userId: z.uuid(),
  vendorId: z.uuid(),
  licenceNumber: z.string(),
  licenceClass: z.string(),
  licenceExpiry: z.string(),
  phone: z.string(),
  status: driverStatus,
});

/** A CUSTOMER registered as a driver (and became a DRIVER); the licence awaits an ADMIN. */
export const DriverRegistered = defineEvent('driver.registered', z.object({ userId: z.uuid(), after: driverSummary }));

export const DriverVerified = defineEvent(
  'driver.verified',
  z.object({
    userId: z.uuid(),
    before: z.object({ status: driverStatus }),
    after: z.object({ status: z.literal('VERIFIED') }),
  }),
);

export const DriverRejected = defineEvent(
  'driver.rejected',
  z.object({
    userId: z.uuid(),
    before: z.object({ status: driverStatus }),
    after: z.object({ status: z.literal('REJECTED'), reason: z.string() }),
  }),
);

export const DriverVehicleSelected = defineEvent(
  'driver.vehicle_selected',
  z.object({
    userId: z.uuid(),
    before: z.object({ activeVehicleId: z.uuid().nullable() }),
    after: z.object({ activeVehicleId: z.uuid() }),
  }),
);

export const DriverWentOnline = defineEvent(
  'driver.went_online',
  z.object({
    userId: z.uuid(),
    vehicleId: z.uuid(),
    before: z.object({ online: z.literal(false) }),
    after: z.object({ online: z.literal(true), onlineSince: z.string() }),
  }),
);

/** Why a driver went offline: they asked, something they depend on stopped qualifying, or they fell silent. */
export const OFFLINE_REASONS = [
  'driver',
  'licence_rejected',
  'licence_expired',
  'vehicle_suspended',
  'vendor_suspended',
  'silent',
] as const;
export type OfflineReason = (typeof OFFLINE_REASONS)[number];

export const DriverWentOffline = defineEvent(
  'driver.went_offline',
  z.object({
    userId: z.uuid(),
    before: z.object({ online: z.literal(true), onlineSince: z.string() }),
    after: z.object({ online: z.literal(false), reason: z.enum(OFFLINE_REASONS) }),
  }),
);

const vehicleStatus = z.enum(VEHICLE_STATUSES);

export const vehicleSummary = z.object({
  driverId: z.uuid(),
  plate: z.string(),
  make: z.string(),
  model: z.string(),
  year: z.number().int(),
  class: z.enum(VEHICLE_CLASSES),
  capacity: z.number().int(),
  insuranceExpiry: z.string(),
  inspectionExpiry: z.string(),
  status: vehicleStatus,
});

/** A vehicle waits for the `vehicle-verifier`: new, or changed in what verification looks at. */
export const VehicleSubmitted = defineEvent(
  'vehicle.submitted',
  z.object({ vehicleId: z.uuid(), driverId: z.uuid(), before: vehicleSummary.nullable(), after: vehicleSummary }),
);
export type VehicleSubmittedPayload = z.infer<typeof VehicleSubmitted.schema>;

export const VehicleVerified = defineEvent(
  'vehicle.verified',
  z.object({
    vehicleId: z.uuid(),
    driverId: z.uuid(),
    before: z.object({ status: vehicleStatus }),
    after: z.object({ status: z.literal('VERIFIED') }),
  }),
);

export const VehicleRejected = defineEvent(
  'vehicle.rejected',
  z.object({
    vehicleId: z.uuid(),
    driverId: z.uuid(),
    before: z.object({ status: vehicleStatus }),
    after: z.object({ status: z.literal('REJECTED'), rejectionReasons: z.array(z.string()) }),
  }),
);

/** A verified vehicle's documents expired (the `vehicle-document-expiry` job). */
export const VehicleSuspended = defineEvent(
  'vehicle.suspended',
  z.object({
    vehicleId: z.uuid(),
    driverId: z.uuid(),
    before: z.object({ status: z.literal('VERIFIED') }),
    after: z.object({ status: z.literal('SUSPENDED'), rejectionReasons: z.array(z.string()) }),
  }),
);

/** A change verification does not look at (make, model). */
export const VehicleUpdated = defineEvent(
  'vehicle.updated',
  z.object({ vehicleId: z.uuid(), driverId: z.uuid(), before: vehicleSummary, after: vehicleSummary }),
);

/** Soft: the row stays for the trips that will refer to it. `wasActive`: its driver now has no active vehicle. */
export const VehicleDeleted = defineEvent(
  'vehicle.deleted',
  z.object({ vehicleId: z.uuid(), driverId: z.uuid(), wasActive: z.boolean(), before: vehicleSummary }),
);
