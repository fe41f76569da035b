import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

const device = z.object({ device: z.string().nullable(), ip: z.string().nullable() });

export const SessionStarted = defineEvent('session.started', z.object({ userId: z.uuid(), after: device }));
export const SessionRefreshed = defineEvent('session.refreshed', z.object({ userId: z.uuid() }));
export const SessionRevoked = defineEvent(
  'session.revoked',
  z.object({ userId: z.uuid(), reason: z.string(), after: z.object({ revoked: z.literal(true), reason: z.string() }) }),
);
