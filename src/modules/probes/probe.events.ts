import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

export const ProbeRequested = defineEvent(
  'probe.requested',
  z.object({ delayMs: z.number().int().min(0), fail: z.boolean() }),
);
