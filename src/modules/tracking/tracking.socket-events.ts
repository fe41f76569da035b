import { z } from 'zod';
import { refusal, type ClientEvent } from '../realtime/realtime-events.js';
import { locationBody } from './location.dto.js';

/** How `driver.location` is acknowledged: how many fixes were taken, or why none were. */
export const locationAck = z.union([
  z.object({ ok: z.literal(true), accepted: z.number().int() }),
  refusal.extend({
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
]);

/** The socket events this module adds to the realtime gateway (live-positions.service.ts), for the docs. */
export const TRACKING_CLIENT_EVENTS: Record<string, ClientEvent> = {
  'driver.location': {
    who: 'DRIVER',
    what: 'Report positions, as `POST /api/drivers/me/location` does: one fix, or a batch of fixes.',
    payload: locationBody,
    ack: locationAck,
  },
};
