import { z } from 'zod';
import { RIDE_CLASSES } from '../fleet/vehicle-classes.js';

const place = z.strictObject({
  lat: z.number().min(-90).max(90),
  lng: z.number().min(-180).max(180),
  address: z.string().trim().min(1).max(500),
});

/** How far ahead a ride can be booked. */
export const MAX_SCHEDULE_DAYS = 30;

/** The shape of a ride request; whether `scheduledAt` is in the bookable window is the service's (clock) check. */
export const requestRideBody = z.strictObject({
  pickup: place,
  dropoff: place,
  vehicleClass: z.enum(RIDE_CLASSES),
  scheduledAt: z.iso
    .datetime({ offset: true })
    .optional()
    .describe(`Book for later (ISO 8601), in the future and at most ${MAX_SCHEDULE_DAYS} days ahead; absent: now`),
  note: z.string().trim().max(500).optional(),
});
export type RequestRideBody = z.infer<typeof requestRideBody>;
