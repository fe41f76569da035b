import { z } from 'zod';
import { TENANT_CODE_PATTERN } from '../../infra/database/tenant-code.js';

// The Socket.IO contract of namespace /realtime, one schema per event: the pushes type their messages
// from these, the gateway parses client events with them, and docs/REALTIME.md is generated from them
// (`npm run docs:realtime`; a test fails when the committed page differs).

const point = z.object({ lat: z.number(), lng: z.number() });
const eventId = z.uuid().describe('The event it came from: drop a repeat with the same id');

export const orderStatusMessage = z.object({
  eventId,
  tenant: z.string(),
  orderId: z.uuid(),
  from: z.string().describe('The status before'),
  status: z.string().describe('The status now'),
  reason: z.string().nullable().describe('Why, when the transition has a reason (rejected, cancelled, failed)'),
  at: z.string().describe('When it happened, ISO 8601'),
  payment: z
    .object({ id: z.uuid(), checkoutUrl: z.string(), expiresAt: z.string() })
    .optional()
    .describe('When the order now awaits payment: the checkout a customer app can open at once'),
});

export const orderLocationMessage = z.object({
  tenant: z.string(),
  orderId: z.uuid(),
  lat: z.number(),
  lng: z.number(),
  heading: z.number().nullable().describe('Degrees clockwise from north, when the device knows it'),
  speed: z.number().nullable().describe('Metres per second, when the device knows it'),
  at: z.string().describe('When the device took the fix, ISO 8601'),
});

const offerIdentity = { eventId, offerId: z.uuid(), tenant: z.string().nullable(), orderId: z.uuid() };

export const offerNewMessage = z.object({
  ...offerIdentity,
  expiresAt: z.string().describe('Accept before this, or the offer goes to the next driver'),
  distanceKm: z.number().describe('From your last position to the pickup'),
  pickup: point,
  dropoff: point,
});

export const offerClosedMessage = z.object({
  ...offerIdentity,
  reason: z.enum(['accepted', 'declined', 'expired', 'withdrawn']),
});

export const watchRequest = z.strictObject({
  tenant: z.string().regex(TENANT_CODE_PATTERN),
  orderId: z.uuid(),
});

export const refreshRequest = z.strictObject({
  token: z.string().min(1).describe('A fresher access token of the same session (from POST /api/auth/refresh)'),
});

/** How a client event is refused in its acknowledgement. */
export const refusal = z.object({ ok: z.literal(false), error: z.string() });

export const refreshAck = z.union([
  z.object({ ok: z.literal(true), expiresAt: z.string().nullable().describe('When the new token expires') }),
  refusal,
]);
export type RefreshAck = z.infer<typeof refreshAck>;

export const watchAck = z.union([z.object({ ok: z.literal(true), room: z.string() }), refusal]);

export interface ServerEvent {
  rooms: string;
  when: string;
  payload: z.ZodType;
}

export interface ClientEvent {
  who: string;
  what: string;
  payload: z.ZodType;
  ack?: z.ZodType;
}

/** What the server emits, to which rooms, and when. */
export const SERVER_EVENTS: Record<string, ServerEvent> = {
  'order.status': {
    rooms: '`order:<tenant>:<orderId>`, `user:<customerId>`, `tenant:<code>`, `ops`',
    when: 'Every transition of an order, right after it commits, in the order the transitions happened.',
    payload: orderStatusMessage,
  },
  'order.location': {
    rooms: '`order:<tenant>:<orderId>`, `tenant:<code>`',
    when: 'The assigned driver reported a position (newest fix of a report) while serving the order.',
    payload: orderLocationMessage,
  },
  'offer.new': {
    rooms: '`driver:<userId>`',
    when: 'A job is offered to this driver (one at a time).',
    payload: offerNewMessage,
  },
  'offer.closed': {
    rooms: '`driver:<userId>`',
    when: 'An offer to this driver was accepted, declined, expired, or withdrawn (the order went away).',
    payload: offerClosedMessage,
  },
};

/**
 * What a client may send to the realtime module itself, and what it is acknowledged with. Feature
 * modules document the events they add (`RealtimeGateway.handle`) beside them; src/socket-events.ts
 * gathers all of them for docs/REALTIME.md.
 */
export const CLIENT_EVENTS: Record<string, ClientEvent> = {
  'order.watch': {
    who: 'Anyone who may read the order over HTTP',
    what: "Join the order's room, to receive its `order.status` and `order.location`.",
    payload: watchRequest,
    ack: watchAck,
  },
  'order.unwatch': {
    who: 'Any signed-in socket',
    what: "Leave the order's room.",
    payload: watchRequest,
  },
  'auth.refresh': {
    who: 'Any signed-in socket',
    what: 'Swap in a fresher access token of the same session, so the socket outlives its first token (it ends when its token expires otherwise); a token of another session, user, role or tenant is refused.',
    payload: refreshRequest,
    ack: refreshAck,
  },
};
