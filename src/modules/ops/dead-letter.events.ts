import { z } from 'zod';
import { defineEvent } from '../../infra/bus/envelope.js';

/** An operator put a dead letter back on its consumer's queue (aggregate: the dead letter's id). */
export const DeadLetterReplayed = defineEvent(
  'dead_letter.replayed',
  z.object({ messageId: z.uuid(), consumer: z.string(), eventType: z.string(), attempts: z.number().int() }),
);
