import { z } from 'zod';
import { paginationQuery } from '../../common/http/pagination.js';
import { isoDate } from './fleet-fields.js';
import { pageMetaSchema } from '../../common/http/pagination.js';
import { VEHICLE_STATUSES } from './fleet-states.js';
import { VEHICLE_CLASSES } from './vehicle-classes.js';
import { normalisePlate } from './vehicle-rules.js';

const plate = z
  .string()
  .trim()
  .min(1)
  .max(20)
  .transform(normalisePlate)
  .describe('Stored upper case without spaces; unique across the platform. The verifier requires ^[A-Z0-9-]{2,10}$');
const make = z.string().trim().min(1).max(100);
const model = z.string().trim().min(1).max(100);
const year = z
  .number()
  .int()
  .min(1900)
  .refine((value) => value <= new Date().getUTCFullYear() + 1, 'cannot be later than next year')
  .describe('Model year; the verifier refuses vehicles more than 15 years old');
const vehicleClass = z
  .enum(VEHICLE_CLASSES)
  .describe('BIKE, CAR, VAN serve deliveries; ECONOMY, COMFORT, XL serve rides of exactly that class');
const capacity = z
  .number()
  .int()
  .min(0)
  .max(60)
  .describe("Passenger seats, not counting the driver's (0 for goods only); ECONOMY and COMFORT need 3, XL 5");
const documentDate = isoDate.describe('YYYY-MM-DD; valid through that day (UTC)');

export const createVehicleBody = z.strictObject({
  plate,
  make,
  model,
  year,
  class: vehicleClass,
  capacity,
  documents: z.strictObject({ insuranceExpiry: documentDate, inspectionExpiry: documentDate }),
  driverId: z.uuid().optional().describe('ADMIN only (and then required): whose vehicle it is'),
});
export type CreateVehicleBody = z.infer<typeof createVehicleBody>;

export const updateVehicleBody = z.strictObject({
  plate: plate.optional(),
  make: make.optional(),
  model: model.optional(),
  year: year.optional(),
  class: vehicleClass.optional(),
  capacity: capacity.optional(),
  documents: z
    .strictObject({ insuranceExpiry: documentDate.optional(), inspectionExpiry: documentDate.optional() })
    .optional(),
});
export type UpdateVehicleBody = z.infer<typeof updateVehicleBody>;

export const listVehiclesQuery = paginationQuery.extend({
  status: z.enum(VEHICLE_STATUSES).optional(),
  class: z.enum(VEHICLE_CLASSES).optional(),
  driverId: z.uuid().optional().describe('ADMIN: one driver’s vehicles (a driver only ever sees their own)'),
});
export type ListVehiclesQuery = z.infer<typeof listVehiclesQuery>;

export const vehicleViewSchema = z
  .object({
    id: z.uuid(),
    driverId: z.uuid(),
    plate: z.string(),
    make: z.string(),
    model: z.string(),
    year: z.number().int(),
    class: z.enum(VEHICLE_CLASSES),
    capacity: z.number().int(),
    documents: z.object({ insuranceExpiry: z.string(), inspectionExpiry: z.string() }),
    status: z.enum(VEHICLE_STATUSES),
    rejectionReasons: z.array(z.string()).describe('Why the last verification (or the expiry job) refused it'),
    verifiedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Vehicle' });
export type VehicleView = z.infer<typeof vehicleViewSchema>;

export const vehiclePageSchema = z.object({ data: z.array(vehicleViewSchema), meta: pageMetaSchema });
