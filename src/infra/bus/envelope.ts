import { z } from 'zod';

/** What travels on the bus. `payload` is validated by the schema registered for `type`. */
export interface Envelope<Payload = unknown> {
  id: string;
  type: string;
  tenant: string | null;
  aggregateId: string;
  occurredAt: string;
  /** 1 on first delivery; grows with each retry tier. */
  attempt: number;
  traceparent?: string;
  /** Who caused it and through which request: the audit trail's actor, IP and request id. */
  meta?: EnvelopeMeta;
  payload: Payload;
}

export interface EnvelopeMeta {
  actorId?: string | null;
  actorRole?: string | null;
  ip?: string | null;
  requestId?: string | null;
}

export const envelopeSchema = z.object({
  id: z.uuid(),
  type: z.string().min(1),
  tenant: z.string().nullable(),
  aggregateId: z.string(),
  occurredAt: z.string(),
  attempt: z.number().int().positive(),
  traceparent: z.string().optional(),
  meta: z
    .object({
      actorId: z.string().nullish(),
      actorRole: z.string().nullish(),
      ip: z.string().nullish(),
      requestId: z.string().nullish(),
    })
    .optional(),
  payload: z.unknown(),
});

/** An event type: its name (`<aggregate>.<past tense>`) and the schema of its payload. */
export interface EventDefinition<Payload> {
  readonly type: string;
  readonly schema: z.ZodType<Payload>;
}

const definitions = new Map<string, EventDefinition<unknown>>();

/** Declares an event type once, next to the feature that produces it. A second declaration of a name throws. */
export function defineEvent<Schema extends z.ZodType>(type: string, schema: Schema): EventDefinition<z.infer<Schema>> {
  if (!/^[a-z][a-z_]*\.[a-z][a-z_]*$/.test(type))
    throw new Error(`Event type "${type}" is not <aggregate>.<past_tense>`);
  if (definitions.has(type)) throw new Error(`Event type "${type}" is defined twice`);
  const definition = { type, schema } as EventDefinition<z.infer<Schema>>;
  definitions.set(type, definition);
  return definition;
}

export function eventDefinition(type: string): EventDefinition<unknown> | undefined {
  return definitions.get(type);
}

/** Every event type defined so far (all feature modules are imported at start): what `events: 'all'` resolves to. */
export function definedEventTypes(): string[] {
  return [...definitions.keys()].sort();
}
