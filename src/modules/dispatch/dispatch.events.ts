import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

// Dispatch events. `dispatch.requested` is emitted by the orders module (tenant database) when an order
// needs a driver; the rest by dispatch (control database), with `tenant` set so the orders module's
// consumers apply them in the order's own database.

const point = z.object({ lat: z.number(), lng: z.number() });

export const DispatchRequested = defineEvent(
  'dispatch.requested',
  z.object({
    orderId: z.uuid(),
    kind: z.enum(['DELIVERY', 'RIDE']),
    rideClass: z.string().nullable(),
    pickup: point,
    dropoff: point,
  }),
);
export type DispatchRequestedPayload = z.infer<typeof DispatchRequested.schema>;

const offer = {
  offerId: z.uuid(),
  jobId: z.uuid(),
  orderId: z.uuid(),
  driverId: z.uuid(),
  /** The driver's user id: the realtime room `driver:<user id>`. */
  driverUserId: z.uuid(),
};

export const OfferCreated = defineEvent(
  'offer.created',
  z.object({ ...offer, expiresAt: z.string(), distanceKm: z.number(), pickup: point, dropoff: point }),
);
export type OfferCreatedPayload = z.infer<typeof OfferCreated.schema>;
export const OfferAccepted = defineEvent('offer.accepted', z.object(offer));
export const OfferDeclined = defineEvent('offer.declined', z.object(offer));
export const OfferExpired = defineEvent('offer.expired', z.object(offer));
/** The order went away (cancelled) while the offer was open. */
export const OfferWithdrawn = defineEvent('offer.withdrawn', z.object(offer));
export type OfferClosedPayload = z.infer<typeof OfferAccepted.schema>;

export const DriverAssigned = defineEvent(
  'driver.assigned',
  z.object({
    jobId: z.uuid(),
    orderId: z.uuid(),
    driverId: z.uuid(),
    driverUserId: z.uuid(),
    driverName: z.string(),
    vehicle: z.object({ id: z.uuid(), plate: z.string(), model: z.string(), class: z.string() }),
  }),
);
export type DriverAssignedPayload = z.infer<typeof DriverAssigned.schema>;

export const DispatchFailed = defineEvent(
  'dispatch.failed',
  z.object({ jobId: z.uuid(), orderId: z.uuid(), reason: z.string() }),
);
export type DispatchFailedPayload = z.infer<typeof DispatchFailed.schema>;
